import FlagonJSON
import FlagonLoop
import FlagonSocketIOCore

/// Which sockets an operation reaches: those in any of `rooms` (all when empty), minus
/// those in any of `except`.
public struct BroadcastTarget: Sendable, Equatable {
    public var rooms: Set<String>
    public var except: Set<String>
    /// Dropped for each recipient whose transport cannot write at once (socket.io's `volatile`).
    public var volatile: Bool
    /// Only the sockets of this process, even with a cluster adapter (socket.io's `local`).
    public var local: Bool

    /// Creates a target.
    public init(rooms: Set<String> = [], except: Set<String> = [], volatile: Bool = false, local: Bool = false) {
        self.rooms = rooms
        self.except = except
        self.volatile = volatile
        self.local = local
    }
}

/// Rooms, broadcasts and operations on many sockets, for one namespace. The in-memory
/// adapter serves one process; a cluster adapter (Redis) implements the same interface and
/// also forwards each operation to the other servers (unless the target is `local`).
@LoopActor
public protocol SocketIOAdapter: AnyObject {
    /// Adds a local socket to rooms.
    func join(_ socketID: String, rooms: some Sequence<String>)
    /// Removes a local socket from a room.
    func leave(_ socketID: String, room: String)
    /// Removes a local socket from all its rooms.
    func leaveAll(_ socketID: String)
    /// The rooms of a local socket.
    func rooms(of socketID: String) -> Set<String>
    /// The local sockets a target reaches.
    func socketIDs(_ target: BroadcastTarget) -> [String]
    /// The names of the rooms that have local members.
    var allRooms: Set<String> { get }
    /// Sends a packet (encoded once) to every socket the target reaches; returns how many
    /// local sockets it was sent to.
    @discardableResult
    func broadcast(_ packet: SocketIOPacket, to target: BroadcastTarget) -> Int
    /// Sends an event asking each recipient for an ack. Each server that sent it calls
    /// `onClientCount` once with how many of its sockets were asked; `onAck` gets each answer
    /// (its first argument, as socket.io passes acks across a cluster). Answers that come
    /// after `timeout` milliseconds are not reported.
    func broadcastWithAck(_ packet: SocketIOPacket, to target: BroadcastTarget, timeout: UInt64,
                          onClientCount: @escaping @LoopActor (Int) -> Void,
                          onAck: @escaping @LoopActor (JSONValue) -> Void)
    /// How many servers serve the namespace (this one included).
    func serverCount() async -> Int
    /// Makes the sockets of a target join rooms.
    func addSockets(_ target: BroadcastTarget, rooms: [String])
    /// Makes the sockets of a target leave rooms.
    func removeSockets(_ target: BroadcastTarget, rooms: [String])
    /// Disconnects the sockets of a target (and their connections, when `close`).
    func disconnectSockets(_ target: BroadcastTarget, close: Bool)
    /// Describes the sockets of a target, on every server; servers that do not answer within
    /// the adapter's request timeout are left out.
    func fetchSockets(_ target: BroadcastTarget) async -> [RemoteSocket]
    /// Sends `[event, args...]` to the namespace's handlers on every other server.
    func serverSideEmit(_ data: [JSONValue])
    /// Sends `[event, args...]` to every other server and collects one answer from each.
    func serverSideEmitWithAck(_ data: [JSONValue], timeout: UInt64?) async -> ServerSideEmitAnswers
    /// Stops serving (unsubscribes from a cluster).
    func close()
}

/// The answers to a ``Namespace/serverSideEmitWithAck(_:arguments:timeout:)``.
public struct ServerSideEmitAnswers: Sendable, Equatable {
    /// One answer per server that answered.
    public var responses: [JSONValue]
    /// `true` when some server did not answer in time.
    public var timedOut: Bool

    /// Answers.
    public init(responses: [JSONValue], timedOut: Bool) {
        self.responses = responses
        self.timedOut = timedOut
    }
}

/// The answers to an event broadcast with acks (``BroadcastOperator/emitWithAck(_:arguments:timeout:)``).
public struct BroadcastAcks: Sendable, Equatable {
    /// The first argument of each ack received, from every server.
    public var responses: [JSONValue]
    /// `true` when some recipient (or server) did not answer within the timeout.
    public var timedOut: Bool

    /// Answers.
    public init(responses: [JSONValue], timedOut: Bool) {
        self.responses = responses
        self.timedOut = timedOut
    }
}
