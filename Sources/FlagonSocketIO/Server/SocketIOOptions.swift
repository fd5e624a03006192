import Flagon
import Logging

/// Settings of a ``SocketIOServer``.
///
/// ```swift
/// var options = SocketIOOptions()
/// options.engine.pingInterval = 10_000
/// options.connectTimeout = 5_000
/// let sio = SocketIOServer(options: options)
/// ```
public struct SocketIOOptions: Sendable {
    /// The Engine.IO settings underneath.
    public var engine = EngineOptions()
    /// Milliseconds a client has to connect to a namespace before it is closed (default 45,000).
    public var connectTimeout: UInt64 = 45_000
    /// Most binary attachments in one packet (default 10).
    public var maxAttachments = 10
    /// Acks a socket may wait for at once; the oldest fails when more are asked (default 1,000).
    public var maxPendingAcks = 1_000
    /// How often each socket may send events (every namespace that sets no limit of its
    /// own); `nil` (the default): no limit. An event over it does not run; the client gets
    /// the event `rate_limited` (and the same object as ack when it asked for one).
    public var rateLimit: RateLimit?
    /// Events refused by a rate limit after which the socket is disconnected (reason
    /// `rate limited`); `nil` (the default): never.
    public var maxRateViolations: Int?
    /// What happens when a client reads too slowly and its outbound queue is full
    /// (``EngineOptions/maxBufferedPackets``, ``EngineOptions/maxBufferedBytes``); a
    /// namespace may choose otherwise. Default: disconnect.
    public var slowConsumerPolicy = SlowConsumerPolicy.disconnect
    /// Milliseconds over which a graceful shutdown closes the sessions, each at a random
    /// moment, so that clients reconnect to other servers gradually (default 10,000).
    public var drainDuration: UInt64 = 10_000
    /// Namespaces one connection may join at once; a CONNECT past it is refused with
    /// `CONNECT_ERROR` "Too many namespaces" (default 100). A client picks the names, and
    /// with a parent namespace (``SocketIOServer/of(matching:)``) every name may be new: the
    /// limit bounds what one connection holds and what each of its packets costs to route.
    public var maxNamespacesPerConnection = 100
    /// Removes a child namespace of a parent (``SocketIOServer/of(matching:)``) when its last
    /// socket leaves (socket.io's `cleanupEmptyChildNamespaces`; default `false`).
    public var cleanupEmptyChildNamespaces = false
    /// At most this many child namespaces (``SocketIOServer/of(matching:)``) get a label of
    /// their own in `/metrics`; the others are summed under `namespace="(other children)"`,
    /// so that names clients choose cannot grow the number of series without bound. Declared
    /// namespaces always get their own (default 50).
    public var maxChildNamespaceMetricLabels = 50
    /// How packets are written: JSON text (the default) or MessagePack.
    public var parser = SocketIOParser.json
    /// socket.io's connection state recovery; `nil` (the default): off.
    public var connectionStateRecovery: ConnectionStateRecovery?
    /// Where the server logs.
    public var logger = Logger.flagon("flagon.socketio")

    /// The defaults.
    public init() {}
}

/// Why a socket left its namespace (socket.io's reason strings).
public enum DisconnectReason: String, Sendable, Equatable {
    case serverNamespaceDisconnect = "server namespace disconnect"
    case clientNamespaceDisconnect = "client namespace disconnect"
    case serverShuttingDown = "server shutting down"
    case pingTimeout = "ping timeout"
    case transportClose = "transport close"
    case transportError = "transport error"
    case parseError = "parse error"
    case forcedClose = "forced close"
    case forcedServerClose = "forced server close"
    /// The socket sent more events than its rate limit allows, too many times.
    case rateLimited = "rate limited"
    /// Its credentials expired without a refresh (``Socket/grantCredentials(_:)``).
    case credentialsExpired = "credentials expired"

    init(_ engine: EngineCloseReason) {
        switch engine {
        case .transportClose: self = .transportClose
        case .transportError, .bufferFull, .multiplePolls: self = .transportError
        case .pingTimeout: self = .pingTimeout
        case .parseError, .payloadTooLarge: self = .parseError
        case .serverClose: self = .forcedServerClose
        case .serverShutdown: self = .serverShuttingDown
        }
    }
}

/// Thrown by a connect handler or connect middleware to refuse a connection; the client
/// receives `CONNECT_ERROR` with `{"message": message, "data": data}`.
///
/// ```swift
/// sio.of("/admin").use { socket, auth in
///     guard auth?["token"] == "secret" else { throw ConnectionRefused("unauthorized") }
/// }
/// ```
public struct ConnectionRefused: Error, Sendable, Equatable {
    /// The message for the client.
    public var message: String
    /// Extra data for the client.
    public var data: JSONValue?

    /// Creates a refusal.
    public init(_ message: String, data: JSONValue? = nil) {
        self.message = message
        self.data = data
    }
}

/// Why an ack never came.
public enum AckError: Error, Sendable, Equatable {
    /// The client did not answer in time.
    case timeout
    /// The socket disconnected first.
    case disconnected
    /// Too many acks were pending on the socket.
    case tooManyPending
}

import FlagonJSON
