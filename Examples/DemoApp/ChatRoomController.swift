import FlagonMacros
import FlagonSocketIO

/// The demo's `/chat` namespace: before login a socket may only `login` or `join` (to read
/// a room); once the HTTP session (copied at connect) or a `login` event names the user,
/// `say` and `leave` open up. A logged-in user is present (``PresenceTracker``) in the room
/// they joined, once however many tabs they have; whoever joins first gets the room's
/// recent messages (``RoomHistory``), numbered.
@SocketNamespace(initialACL: ["login", "join"])
final class ChatRoomController: NamespaceController {
    private var room: String?

    private var user: String? { session["user"]?.stringValue }

    override func on_connect(auth: JSONValue?) async throws {
        if let user {
            socket.presenceKey = user
            openUp()
        }
        // A recovered socket is back in its room; this new controller learns which.
        if socket.recovered { room = socket.rooms.first { $0 != socket.id } }
    }

    private func openUp() {
        allow(.say, .leave)
    }

    /// Logs in over the socket (the page logs in over HTTP instead).
    func on_login(_ name: String) -> JSONValue {
        let trimmed = name.trimmingSpaces
        guard !trimmed.isEmpty, trimmed.count <= 32 else { return ["ok": false, "error": "invalid name"] }
        session["user"] = .string(trimmed)
        socket.presenceKey = trimmed
        openUp()
        return ["ok": true, "user": .string(trimmed)]
    }

    /// Joins a room (leaving the one before): the room's recent messages come first, then its
    /// "presence" events; the answer lists who is online there.
    func on_join(_ name: String) async -> JSONValue {
        let target = name.trimmingSpaces
        guard !target.isEmpty, target.count <= 64 else { return ["ok": false, "error": "invalid room"] }
        if let room, room != target { socket.leave(room) }
        room = target
        await socket.namespace.history?.replay(target, to: socket)
        socket.join(target)
        let online = socket.namespace.presence(in: target).map { JSONValue.string($0) }
        return ["ok": true, "room": .string(target), "user": user.map { .string($0) } ?? .null, "online": .array(online)]
    }

    func on_leave() -> JSONValue {
        guard let room else { return ["ok": false, "error": "not in a room"] }
        socket.leave(room)
        self.room = nil
        return ["ok": true]
    }

    func on_say(_ text: String) async -> JSONValue {
        guard let room, let user else { return ["ok": false, "error": "join a room first"] }
        let message = String(text.prefix(2000))
        // Numbered per room across the cluster, kept for late joiners, sent to the room.
        guard let history = socket.namespace.history,
              let seq = await history.emit(to: room, event: "said", { seq in
                  [["room": .string(room), "user": .string(user), "text": .string(message), "seq": .int(seq)]]
              })
        else { return ["ok": false, "error": "history unavailable"] }
        return ["ok": true, "seq": .int(seq)]
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return String(s)
    }
}
