/// The `code` of an Engine.IO HTTP error body (`{"code":1,"message":"Session ID unknown"}`),
/// as Node's engine.io numbers them.
public enum EngineErrorCode: Int, Sendable {
    /// The `transport` query parameter names no transport the server offers.
    case unknownTransport = 0
    /// The `sid` names no open session.
    case unknownSessionID = 1
    /// A handshake that is not a GET.
    case badHandshakeMethod = 2
    /// Anything else the request gets wrong.
    case badRequest = 3
    /// Refused by policy (origin, draining, per-address limits).
    case forbidden = 4
    /// `EIO` is not 4.
    case unsupportedProtocolVersion = 5

    /// The message Node's engine.io sends with the code.
    public var message: String {
        switch self {
        case .unknownTransport: "Transport unknown"
        case .unknownSessionID: "Session ID unknown"
        case .badHandshakeMethod: "Bad handshake method"
        case .badRequest: "Bad request"
        case .forbidden: "Forbidden"
        case .unsupportedProtocolVersion: "Unsupported protocol version"
        }
    }
}
