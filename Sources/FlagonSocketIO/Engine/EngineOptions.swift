import Flagon
import FlagonLoop

/// An Engine.IO transport.
public enum EngineTransport: String, Sendable {
    case polling, websocket
}

/// Which cross-origin requests are allowed.
public enum CORSPolicy: Sendable {
    /// Only requests from the server's own origin (or with no `Origin`), the safe default.
    case sameOrigin
    /// These origins (`https://app.example.com`) and the server's own.
    case origins([String])
    /// Any origin.
    case any
}

/// Settings of an ``EngineServer``, with Node's engine.io defaults.
///
/// ```swift
/// var options = EngineOptions()
/// options.pingInterval = 10_000
/// options.cors = .origins(["https://app.example.com"])
/// ```
public struct EngineOptions: Sendable {
    /// Milliseconds between the server's pings (default 25,000).
    public var pingInterval: UInt64 = 25_000
    /// Milliseconds to wait for a pong (default 20,000).
    public var pingTimeout: UInt64 = 20_000
    /// Largest message or polling body, in bytes (default 1,000,000).
    public var maxPayload = 1_000_000
    /// Milliseconds allowed to complete an upgrade after the WebSocket opened (default 10,000).
    public var upgradeTimeout: UInt64 = 10_000
    /// The transports accepted.
    public var transports: Set<EngineTransport> = [.polling, .websocket]
    /// Whether polling sessions may upgrade to WebSocket.
    public var allowUpgrades = true
    /// permessage-deflate for WebSocket clients that offer it (browsers do); `nil` (the
    /// default, as engine.io's): off. ``WebSocketCompression`` compresses messages of 1 KB
    /// or more, each on its own (a broadcast once for all its recipients).
    public var perMessageDeflate: WebSocketCompression?
    /// Long-polling responses of at least this many bytes are compressed (gzip or deflate)
    /// for clients that accept it (engine.io's `httpCompression`; default 1,024; `nil`: never).
    public var httpCompression: Int? = 1024
    /// Cross-origin policy for HTTP requests and WebSocket handshakes.
    public var cors: CORSPolicy = .sameOrigin
    /// Sends `Access-Control-Allow-Credentials: true` to allowed origins.
    public var corsCredentials = false
    /// A cookie holding the session id (`io=<sid>`), for load balancers with sticky sessions.
    public var cookie: Cookie?
    /// Decides whether a handshake is accepted; `false` answers 403.
    public var allowRequest: (@LoopActor @Sendable (Request) async -> Bool)?
    /// Packets queued for a polling client before it is disconnected (default 10,000).
    public var maxBufferedPackets = 10_000
    /// Bytes queued for a WebSocket client before it is disconnected (default 16 MiB).
    public var maxBufferedBytes = 16 * 1024 * 1024
    /// New sessions one client address may open, per second with bursts (`nil`, the
    /// default: no limit). Over it a handshake gets 429 with a JSON body.
    public var handshakeRateLimit: RateLimit?
    /// Sessions one client address may have open at once (`nil`, the default: no limit).
    /// Over it a handshake gets 429. Behind a proxy every client has the proxy's address:
    /// leave both off there, or limit at the proxy.
    public var maxSessionsPerAddress: Int?
    /// Packets per polling response (default 16, the most python-engineio clients accept).
    public var maxPacketsPerPoll = 16

    /// The defaults.
    public init() {}

    /// The `io` cookie Node's engine.io sets when its `cookie` option is on.
    public static var defaultCookie: Cookie {
        var cookie = Cookie(name: "io", value: "")
        cookie.httpOnly = true
        cookie.sameSite = .lax
        return cookie
    }
}
