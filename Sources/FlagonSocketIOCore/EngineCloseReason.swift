/// Why an Engine.IO session ended (Node's reason strings).
public enum EngineCloseReason: String, Sendable, Equatable {
    /// The client closed the connection or sent a close packet.
    case transportClose = "transport close"
    /// The connection failed.
    case transportError = "transport error"
    /// No pong within `pingTimeout`.
    case pingTimeout = "ping timeout"
    /// The client sent something that is not Engine.IO (or Socket.IO).
    case parseError = "parse error"
    /// The server closed the session.
    case serverClose = "forced server close"
    /// Two `GET`s were pending at once.
    case multiplePolls = "multiple pending polls"
    /// A message or body exceeded `maxPayload`.
    case payloadTooLarge = "payload too large"
    /// The client read too slowly and its queue filled up.
    case bufferFull = "buffer full"
    /// The server is shutting down.
    case serverShutdown = "server shutting down"
}
