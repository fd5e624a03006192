import FlagonJSON
import FlagonLoop

/// One message kept in a room's history.
public struct RoomHistoryEntry: Sendable, Equatable {
    /// Its number in the room: 1 for the room's first message, one more for each, across
    /// the cluster.
    public var seq: Int
    /// The event it was sent as.
    public var event: String
    /// Its arguments, as sent.
    public var arguments: [JSONValue]
    /// When it was sent, in milliseconds since 1970.
    public var time: Int

    /// An entry sent at `time` (now when `nil`).
    public init(seq: Int, event: String, arguments: [JSONValue], time: Int? = nil) {
        self.seq = seq
        self.event = event
        self.arguments = arguments
        self.time = time ?? WallClock.milliseconds
    }
}

/// What a room's history holds now: its kept entries in `seq` order, and the latest `seq`
/// given out.
public struct RoomHistorySlice: Sendable, Equatable {
    public var entries: [RoomHistoryEntry]
    public var latest: Int

    public init(entries: [RoomHistoryEntry], latest: Int) {
        self.entries = entries.sorted { $0.seq < $1.seq }
        self.latest = max(latest, self.entries.last?.seq ?? 0)
    }

    /// The numbers of the messages no longer kept (older than the first kept one, or all
    /// when none is); `nil` when nothing is missing.
    public var missing: ClosedRange<Int>? {
        let first = entries.first?.seq ?? latest + 1
        return first > 1 ? 1...(first - 1) : nil
    }
}

/// How much history a room keeps.
public struct RoomHistoryLimits: Sendable, Equatable {
    /// The newest messages kept per room (default 50).
    public var maxMessages: Int
    /// Milliseconds a message is kept (`nil`, the default: as long as it is among the newest).
    public var maxAge: Int?
    /// Rooms with a history in one process; beyond, the least recently used room's history
    /// goes, and its numbering starts again (default 10,000).
    public var maxRooms: Int

    public init(maxMessages: Int = 50, maxAge: Int? = nil, maxRooms: Int = 10_000) {
        self.maxMessages = max(1, maxMessages)
        self.maxAge = maxAge
        self.maxRooms = max(1, maxRooms)
    }
}

/// Where rooms' histories live: this process (``InMemoryRoomHistory``), the worker that
/// owns the room (``WorkerRoomHistory``), or Redis (`RedisRoomHistory`: streams shared by
/// the cluster).
@LoopActor
public protocol RoomHistoryStore: AnyObject {
    /// The room's next sequence number; `nil` when none can be had.
    func nextSequence(namespace: String, room: String) async -> Int?
    /// Keeps a message numbered by ``nextSequence(namespace:room:)``, within the limits.
    func store(_ entry: RoomHistoryEntry, namespace: String, room: String)
    /// The room's history now; `nil` when it cannot be read.
    func recent(namespace: String, room: String) async -> RoomHistorySlice?
}

/// A namespace's room histories: messages sent through ``emit(to:event:_:)`` get the room's
/// next number, are kept (the newest ``RoomHistoryLimits/maxMessages``) and go to the room
/// on every server; a socket that joins late gets them with ``replay(_:to:)``: first a
/// ``gapEvent`` (`{"room","from","to"}`) naming the numbers no longer kept, then each kept
/// message in order, as it was sent.
///
/// ```swift
/// let history = sio.of("/chat").keepHistory(RoomHistoryLimits(maxMessages: 100))
/// sio.of("/chat").on("join") { (socket: Socket, room: String) async -> Bool in
///     await history.replay(room, to: socket)
///     socket.join(room)
///     return true
/// }
/// sio.of("/chat").on("say") { (socket: Socket, room: String, text: String) async -> Int? in
///     await history.emit(to: room, event: "said") { seq in [["text": .string(text), "seq": .int(seq)]] }
/// }
/// ```
@LoopActor
public final class RoomHistory {
    /// Where the histories live.
    public let store: any RoomHistoryStore
    /// The event that names a gap before a replay.
    public var gapEvent = "history_gap"
    unowned let namespace: Namespace

    init(namespace: Namespace, store: any RoomHistoryStore) {
        self.namespace = namespace
        self.store = store
    }

    /// Numbers a message for `room`, keeps it, and emits it to the room on every server;
    /// `arguments` builds its arguments from its number. Returns the number, or `nil` when
    /// none could be had (nothing is sent then).
    @discardableResult
    public func emit(to room: String, event: String, _ arguments: (Int) -> [JSONValue]) async -> Int? {
        guard let seq = await store.nextSequence(namespace: namespace.name, room: room) else { return nil }
        let args = arguments(seq)
        store.store(RoomHistoryEntry(seq: seq, event: event, arguments: args), namespace: namespace.name, room: room)
        namespace.to(room).emit(event, arguments: args)
        return seq
    }

    /// Sends `socket` the room's history: the gap first when older messages are gone, then
    /// the kept ones in order. Returns how many messages it sent.
    @discardableResult
    public func replay(_ room: String, to socket: Socket) async -> Int {
        guard let slice = await store.recent(namespace: namespace.name, room: room) else { return 0 }
        if let missing = slice.missing, slice.latest > 0 {
            socket.emit(gapEvent, ["room": .string(room), "from": .int(missing.lowerBound), "to": .int(missing.upperBound)])
        }
        for entry in slice.entries { socket.emit(entry.event, arguments: entry.arguments) }
        return slice.entries.count
    }
}

extension Namespace {
    /// Keeps rooms' recent messages (``RoomHistory``), in `store`: by default this process's,
    /// or, in a worker, the worker that owns each room. Call it once (again: the same one).
    @discardableResult
    public func keepHistory(_ limits: RoomHistoryLimits = RoomHistoryLimits(), store: (any RoomHistoryStore)? = nil) -> RoomHistory {
        if let history { return history }
        let chosen = store ?? WorkerRoomHistory.shared(limits: limits) ?? InMemoryRoomHistory(limits: limits)
        let made = RoomHistory(namespace: self, store: chosen)
        history = made
        return made
    }
}
