import FlagonJSON
import FlagonLoop
import FlagonSocketIOCore

/// What is kept of a socket that lost its connection, for ``ConnectionStateRecovery``.
public struct SocketState: Sendable, Equatable {
    /// Its Socket.IO id, given back on recovery.
    public var id: String
    /// The private id the client presents to recover it.
    public var pid: String
    /// Its namespace.
    public var namespace: String
    /// Its rooms, its own id left out.
    public var rooms: Set<String>
    /// Its ``Socket/data``.
    public var data: JSONValue
    /// Its credentials (``Socket/grantCredentials(_:)``): a recovered socket keeps them.
    public var credentials: SocketCredentials?

    /// A state.
    public init(id: String, pid: String, namespace: String, rooms: Set<String>, data: JSONValue, credentials: SocketCredentials? = nil) {
        self.id = id
        self.pid = pid
        self.namespace = namespace
        self.rooms = rooms
        self.data = data
        self.credentials = credentials
    }
}

/// A restored socket state and the broadcasts it missed, oldest first.
public struct RecoveredSocketState: Sendable {
    /// The state saved when the socket lost its connection.
    public var state: SocketState
    /// The broadcasts the socket's rooms received since its offset, each with its offset
    /// as the last argument.
    public var missedPackets: [SocketIOPacket]

    /// A recovered state.
    public init(state: SocketState, missedPackets: [SocketIOPacket]) {
        self.state = state
        self.missedPackets = missedPackets
    }
}

/// Where connection state recovery keeps its sessions and the broadcasts to replay: in this
/// process (``InMemoryConnectionStateStore``), or somewhere every server of a cluster reaches
/// (the Redis adapter's store), so that a client recovers on any of them.
@LoopActor
public protocol ConnectionStateStore: AnyObject {
    /// Records a broadcast for replay and hands back the packet with its offset appended as
    /// the last argument, to be sent; or the packet unchanged when it could not be recorded.
    /// `send` may run at once or later (a store across the network), but runs exactly once,
    /// and in the order of the calls.
    func record(_ packet: SocketIOPacket, target: BroadcastTarget, send: @escaping @LoopActor (SocketIOPacket) -> Void)
    /// Keeps the state of a socket: one that lost its connection (`connected: false`), or,
    /// when ``keepsConnectedStates``, a connected one (at connect, when its rooms change, and
    /// periodically), so that it can be recovered even if its process dies without a word.
    func save(_ state: SocketState, connected: Bool)
    /// Forgets the state of a socket that left explicitly: it is never recovered.
    func discard(pid: String)
    /// Whether connected sockets' states are saved too (a store that outlives the process).
    var keepsConnectedStates: Bool { get }
    /// Takes the state saved under `pid` in `namespace` with the broadcasts its rooms
    /// missed after `offset`; `nil` when the pid is unknown or expired, or when `offset`
    /// is no longer in the log (never a partial replay). A state is restored at most once.
    func restore(pid: String, offset: String, namespace: String) async -> RecoveredSocketState?
    /// Sees a broadcast that another server recorded (it carries that server's offset as
    /// its last argument) as it reaches this server's sockets, so that a socket of this
    /// server that missed it gets it on recovery. A store that records every broadcast in one
    /// place (Redis) ignores it.
    func observe(_ packet: SocketIOPacket, target: BroadcastTarget)
}

extension ConnectionStateStore {
    /// Ignores it: the log is shared.
    public func observe(_ packet: SocketIOPacket, target: BroadcastTarget) {}
}
