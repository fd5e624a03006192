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

    /// Creates a target.
    public init(rooms: Set<String> = [], except: Set<String> = [], volatile: Bool = false) {
        self.rooms = rooms
        self.except = except
        self.volatile = volatile
    }
}

/// What an adapter reports about a socket (local or on another server).
public struct SocketSummary: Sendable, Equatable {
    public var id: String
    public var rooms: Set<String>
    public var namespace: String
}

/// Rooms, broadcasts and operations on many sockets, for one namespace. The in-memory
/// adapter serves one process; a cluster adapter (Redis) implements the same interface and
/// also forwards each operation to the other servers.
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
    /// Sends an event asking each recipient for an ack; `onAck` gets each answer,
    /// `onDone` the number of sockets that were asked, once every answer or the timeout came.
    func broadcastWithAck(_ packet: SocketIOPacket, to target: BroadcastTarget, timeout: UInt64,
                          onAck: @escaping @LoopActor (String, [JSONValue]) -> Void,
                          onDone: @escaping @LoopActor (_ asked: Int, _ answered: Int) -> Void)
    /// Makes the sockets of a target join rooms.
    func addSockets(_ target: BroadcastTarget, rooms: [String])
    /// Makes the sockets of a target leave rooms.
    func removeSockets(_ target: BroadcastTarget, rooms: [String])
    /// Disconnects the sockets of a target (and their connections, when `close`).
    func disconnectSockets(_ target: BroadcastTarget, close: Bool)
    /// Describes the sockets of a target, on every server.
    func fetchSockets(_ target: BroadcastTarget) async -> [SocketSummary]
}

/// The adapter for one process: rooms are sets of socket ids.
@LoopActor
public final class InMemoryAdapter: SocketIOAdapter {
    /// The namespace served.
    public unowned let namespace: Namespace
    private var roomMembers: [String: Set<String>] = [:]
    private var socketRooms: [String: Set<String>] = [:]

    /// Creates the adapter of a namespace.
    public init(namespace: Namespace) {
        self.namespace = namespace
    }

    // A socket's own room (its id) is implicit: it costs no set, and resolves through
    // `namespace.sockets`.

    public func join(_ socketID: String, rooms: some Sequence<String>) {
        for room in rooms where room != socketID {
            roomMembers[room, default: []].insert(socketID)
            socketRooms[socketID, default: []].insert(room)
        }
    }

    public func leave(_ socketID: String, room: String) {
        socketRooms[socketID]?.remove(room)
        if roomMembers[room]?.remove(socketID) != nil, roomMembers[room]?.isEmpty == true { roomMembers[room] = nil }
    }

    public func leaveAll(_ socketID: String) {
        for room in socketRooms.removeValue(forKey: socketID) ?? [] {
            roomMembers[room]?.remove(socketID)
            if roomMembers[room]?.isEmpty == true { roomMembers[room] = nil }
        }
    }

    public func rooms(of socketID: String) -> Set<String> {
        guard namespace.sockets[socketID] != nil else { return socketRooms[socketID] ?? [] }
        var rooms = socketRooms[socketID] ?? []
        rooms.insert(socketID)
        return rooms
    }

    /// The members of a room, the implicit own-id rooms included.
    private func members(of room: String) -> Set<String>? {
        if let members = roomMembers[room] { return members }
        return namespace.sockets[room] != nil ? [room] : nil
    }

    public var allRooms: Set<String> { Set(roomMembers.keys).union(namespace.sockets.keys) }

    public func socketIDs(_ target: BroadcastTarget) -> [String] {
        var excluded: Set<String> = []
        for room in target.except { excluded.formUnion(members(of: room) ?? []) }
        if target.rooms.isEmpty {
            return namespace.sockets.keys.filter { !excluded.contains($0) }
        }
        if target.rooms.count == 1, let members = members(of: target.rooms.first!) {
            return excluded.isEmpty ? Array(members) : members.filter { !excluded.contains($0) }
        }
        var seen: Set<String> = []
        var ids: [String] = []
        for room in target.rooms {
            for id in members(of: room) ?? [] where !excluded.contains(id) && seen.insert(id).inserted { ids.append(id) }
        }
        return ids
    }

    /// Calls `body` for each local socket a target reaches. The common cases (everyone, one
    /// room) walk the members directly, without building a list of ids.
    private func forEachSocket(_ target: BroadcastTarget, _ body: (Socket) -> Void) {
        let sockets = namespace.sockets
        if target.except.isEmpty && target.rooms.count <= 1 {
            if target.rooms.isEmpty {
                for socket in sockets.values { body(socket) }
            } else {
                for id in members(of: target.rooms.first!) ?? [] { if let socket = sockets[id] { body(socket) } }
            }
            return
        }
        for id in socketIDs(target) { if let socket = sockets[id] { body(socket) } }
    }

    /// The targeted sockets, collected first (for operations that change rooms as they go).
    private func targetedSockets(_ target: BroadcastTarget) -> [Socket] {
        var sockets: [Socket] = []
        forEachSocket(target) { sockets.append($0) }
        return sockets
    }

    @discardableResult
    public func broadcast(_ packet: SocketIOPacket, to target: BroadcastTarget) -> Int {
        var message: OutboundMessage?
        var sent = 0
        forEachSocket(target) { socket in
            if message == nil { message = OutboundMessage(packet) }   // encoded once, only when someone gets it
            socket.deliver(message.unsafelyUnwrapped, packet: packet, volatile: target.volatile)
            sent += 1
        }
        return sent
    }

    public func broadcastWithAck(_ packet: SocketIOPacket, to target: BroadcastTarget, timeout: UInt64,
                                 onAck: @escaping @LoopActor (String, [JSONValue]) -> Void,
                                 onDone: @escaping @LoopActor (Int, Int) -> Void) {
        let sockets = targetedSockets(target)
        if sockets.isEmpty {
            onDone(0, 0)
            return
        }
        var waiting = sockets.count
        var answered = 0
        for socket in sockets {
            let id = socket.id
            socket.emitPacket(packet, timeout: timeout) { result in
                if case .success(let args) = result {
                    answered += 1
                    onAck(id, args)
                }
                waiting -= 1
                if waiting == 0 { onDone(sockets.count, answered) }
            }
        }
    }

    public func addSockets(_ target: BroadcastTarget, rooms: [String]) {
        for socket in targetedSockets(target) { socket.join(rooms) }
    }

    public func removeSockets(_ target: BroadcastTarget, rooms: [String]) {
        for socket in targetedSockets(target) { for room in rooms { socket.leave(room) } }
    }

    public func disconnectSockets(_ target: BroadcastTarget, close: Bool) {
        for socket in targetedSockets(target) { socket.disconnect(close: close) }
    }

    public func fetchSockets(_ target: BroadcastTarget) async -> [SocketSummary] {
        var summaries: [SocketSummary] = []
        forEachSocket(target) { summaries.append(SocketSummary(id: $0.id, rooms: $0.rooms, namespace: namespace.name)) }
        return summaries
    }
}
