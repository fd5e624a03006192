/// socket.io's connection state recovery: a client that lost its connection (a network
/// change, a laptop asleep, a server restart) and comes back within
/// ``maxDisconnectionDuration`` gets its socket id, its rooms and ``Socket/data`` back, and
/// every broadcast it missed, in order.
///
/// ```swift
/// var options = SocketIOOptions()
/// options.connectionStateRecovery = ConnectionStateRecovery(maxDisconnectionDuration: 120_000)
/// let sio = SocketIOServer(options: options)
/// sio.onConnect { socket, _ in
///     if !socket.recovered { socket.join("lobby") }   // a recovered socket is in its rooms again
/// }
/// ```
///
/// On the wire, as socket.io 4.6+: the CONNECT reply carries a private id (`pid`); every
/// event sent through a broadcast (to rooms or to the whole namespace, not volatile, without
/// acks) carries its offset as one extra, last argument; a client that reconnects with
/// `{pid, offset}` in its CONNECT payload is restored. Explicit disconnects (either side's
/// DISCONNECT) are never recovered.
public struct ConnectionStateRecovery: Sendable {
    /// How long a disconnected socket's state is kept, in milliseconds (default 2 minutes).
    public var maxDisconnectionDuration: UInt64
    /// A recovered socket skips the namespace's middleware (`use`) (default `true`); its
    /// connect handlers still run, with ``Socket/recovered`` set.
    public var skipMiddlewares: Bool
    /// Broadcasts kept for replay, per server (default 10,000); a client whose offset fell
    /// off the log gets a fresh session, never a partial replay.
    public var maxPackets: Int
    /// Bytes of broadcasts kept for replay (default 16 MiB).
    public var maxBytes: Int
    /// Disconnected sockets whose state is kept at once (default 100,000; the oldest goes first).
    public var maxSessions: Int

    /// Recovery within `maxDisconnectionDuration` milliseconds.
    public init(maxDisconnectionDuration: UInt64 = 120_000, skipMiddlewares: Bool = true, maxPackets: Int = 10_000,
                maxBytes: Int = 16 << 20, maxSessions: Int = 100_000) {
        self.maxDisconnectionDuration = maxDisconnectionDuration
        self.skipMiddlewares = skipMiddlewares
        self.maxPackets = maxPackets
        self.maxBytes = maxBytes
        self.maxSessions = maxSessions
    }
}

extension DisconnectReason {
    /// Whether a socket that left for this reason may be recovered (socket.io's list: the
    /// connection was lost or closed by the server, not a namespace DISCONNECT).
    var isRecoverable: Bool {
        switch self {
        case .transportError, .transportClose, .forcedClose, .pingTimeout, .serverShuttingDown, .forcedServerClose: true
        case .serverNamespaceDisconnect, .clientNamespaceDisconnect, .parseError, .rateLimited, .credentialsExpired: false
        }
    }
}
