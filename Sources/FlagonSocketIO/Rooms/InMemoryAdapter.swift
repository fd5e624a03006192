import FlagonJSON
import FlagonLoop
import FlagonSocketIOCore

/// The adapter for one process: rooms are sets of socket ids. Cluster adapters keep their
/// local rooms in one of these.
@LoopActor
public final class InMemoryAdapter: SocketIOAdapter {
    /// The namespace served.
    public unowned let namespace: Namespace
    private var roomMembers: [String: Set<String>] = [:]
    private var socketRooms: [String: Set<String>] = [:]
    /// The connected sockets of rooms that were broadcast to, kept until the room's
    /// membership changes (a broadcast then walks references instead of hashing every
    /// member's id). A socket's disconnect leaves its rooms, which drops their entries.
    private var roomSockets: [String: ContiguousArray<Socket>] = [:]

    /// Creates the adapter of a namespace.
    public init(namespace: Namespace) {
        self.namespace = namespace
    }

    // A socket's own room (its id) is implicit: it costs no set, and resolves through
    // `namespace.sockets`.

    public func join(_ socketID: String, rooms: some Sequence<String>) {
        if !roomSockets.isEmpty, let joined = socketRooms[socketID] {
            // The socket may have become connected (its own room joined at accept): the
            // cached lists of its rooms do not have it yet.
            for room in joined { roomSockets[room] = nil }
        }
        for room in rooms where room != socketID {
            roomMembers[room, default: []].insert(socketID)
            socketRooms[socketID, default: []].insert(room)
            roomSockets[room] = nil
        }
    }

    public func leave(_ socketID: String, room: String) {
        socketRooms[socketID]?.remove(room)
        if roomMembers[room]?.remove(socketID) != nil, roomMembers[room]?.isEmpty == true { roomMembers[room] = nil }
        roomSockets[room] = nil
    }

    public func leaveAll(_ socketID: String) {
        for room in socketRooms.removeValue(forKey: socketID) ?? [] {
            roomMembers[room]?.remove(socketID)
            if roomMembers[room]?.isEmpty == true { roomMembers[room] = nil }
            roomSockets[room] = nil
        }
    }

    /// The connected sockets of a room with members of its own (not a socket's own room).
    private func sockets(of room: String, members: Set<String>) -> ContiguousArray<Socket> {
        if let cached = roomSockets[room] { return cached }
        let sockets = namespace.sockets
        var found = ContiguousArray<Socket>()
        found.reserveCapacity(members.count)
        for id in members { if let socket = sockets[id] { found.append(socket) } }
        roomSockets[room] = found
        return found
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
            } else if let room = target.rooms.first, let members = roomMembers[room] {
                Self.forEach(in: self.sockets(of: room, members: members), body)
            } else if let own = sockets[target.rooms.first!] {
                body(own)
            }
            return
        }
        for id in socketIDs(target) { if let socket = sockets[id] { body(socket) } }
    }

    /// Calls `body` for each socket of `list` without a retain and a release per socket (a
    /// fan-out's cost is per recipient): `list`, held by the caller for the call, keeps them
    /// alive for the walk (docs/hot-path.md: fan-out +16 % without it).
    private static func forEach(in list: ContiguousArray<Socket>, _ body: (Socket) -> Void) {
        for index in list.indices {
            UnretainedReference(list[index]).with(body)
        }
    }

    /// The targeted sockets, collected first (for operations that change rooms as they go).
    private func targetedSockets(_ target: BroadcastTarget) -> [Socket] {
        var sockets: [Socket] = []
        forEachSocket(target) { sockets.append($0) }
        return sockets
    }

    @discardableResult
    public func broadcast(_ packet: SocketIOPacket, to target: BroadcastTarget) -> Int {
        // Encoded once for every recipient, and not at all when there is certainly none. A
        // constant, so that each recipient borrows it (an optional filled on the first
        // recipient was copied, three retains and releases, for each one).
        guard mayReach(target) else { return 0 }
        let message = OutboundMessage(packet, parser: namespace.server.options.parser)
        var sent = 0
        forEachSocket(target) { socket in
            socket.deliver(message, packet: packet, volatile: target.volatile)
            sent += 1
        }
        return sent
    }

    /// `false` when a target certainly reaches no local socket (the common targets: everyone,
    /// one room); `true` otherwise.
    private func mayReach(_ target: BroadcastTarget) -> Bool {
        guard target.except.isEmpty && target.rooms.count <= 1, let room = target.rooms.first else {
            return !(target.rooms.isEmpty && target.except.isEmpty && namespace.sockets.isEmpty)
        }
        if let members = roomMembers[room] { return !members.isEmpty }
        return namespace.sockets[room] != nil
    }

    public func broadcastWithAck(_ packet: SocketIOPacket, to target: BroadcastTarget, timeout: UInt64,
                                 onClientCount: @escaping @LoopActor (Int) -> Void,
                                 onAck: @escaping @LoopActor (JSONValue) -> Void) {
        let sockets = targetedSockets(target)
        onClientCount(sockets.count)
        for socket in sockets {
            socket.emitPacket(packet, timeout: timeout) { result in
                if case .success(let args) = result { onAck(args.first ?? .null) }
            }
        }
    }

    public func serverCount() async -> Int { 1 }

    public func addSockets(_ target: BroadcastTarget, rooms: [String]) {
        for socket in targetedSockets(target) { socket.join(rooms) }
    }

    public func removeSockets(_ target: BroadcastTarget, rooms: [String]) {
        for socket in targetedSockets(target) { for room in rooms { socket.leave(room) } }
    }

    public func disconnectSockets(_ target: BroadcastTarget, close: Bool) {
        for socket in targetedSockets(target) { socket.disconnect(close: close) }
    }

    public func fetchSockets(_ target: BroadcastTarget) async -> [RemoteSocket] { localSockets(target) }

    /// Describes the local sockets of a target (what a cluster adapter answers for this server).
    public func localSockets(_ target: BroadcastTarget) -> [RemoteSocket] {
        var sockets: [RemoteSocket] = []
        forEachSocket(target) { sockets.append($0.remote) }
        return sockets
    }

    /// `true` while a room has local members (a socket's own room included).
    public func hasMembers(_ room: String) -> Bool { roomMembers[room] != nil || namespace.sockets[room] != nil }

    /// There are no other servers: nobody to tell.
    public func serverSideEmit(_ data: [JSONValue]) {}

    /// There are no other servers: no answers, at once.
    public func serverSideEmitWithAck(_ data: [JSONValue], timeout: UInt64?) async -> ServerSideEmitAnswers {
        ServerSideEmitAnswers(responses: [], timedOut: false)
    }

    public func close() {}
}
