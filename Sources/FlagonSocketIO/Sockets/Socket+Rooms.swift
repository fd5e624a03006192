// A socket's rooms: joining and leaving, with presence and the admin UI told.

extension Socket {
    /// The rooms the socket is in, its own id included.
    public var rooms: Set<String> { namespace.adapter.rooms(of: id) }

    /// Joins a room.
    public func join(_ room: String) { join([room]) }

    /// Joins rooms.
    public func join(_ rooms: [String]) {
        guard isConnected || connecting else { return }
        if isConnected, let key = storedPresenceKey, let presence = namespace.presence {
            let before = self.rooms
            namespace.adapter.join(id, rooms: rooms)
            for room in Set(rooms) where !before.contains(room) && room != id {
                if let admin = server.instrumentation, admin.reportsSockets { admin.roomJoined(self, room) }
                presence.add(key, to: room)
            }
        } else if let admin = server.instrumentation, admin.reportsSockets {
            let before = self.rooms
            namespace.adapter.join(id, rooms: rooms)
            for room in Set(rooms) where !before.contains(room) { admin.roomJoined(self, room) }
        } else {
            namespace.adapter.join(id, rooms: rooms)
        }
        saveConnectedState()
    }

    /// Leaves a room.
    public func leave(_ room: String) {
        let admin = server.instrumentation
        let key = room == id || !isConnected ? nil : storedPresenceKey.flatMap { namespace.presence == nil ? nil : $0 }
        let wasIn = (admin?.reportsSockets == true || key != nil) && rooms.contains(room)
        namespace.adapter.leave(id, room: room)
        if wasIn { admin?.roomLeft(self, room) }
        if wasIn, let key { namespace.presence?.remove(key, from: room) }
        saveConnectedState()
    }
}
