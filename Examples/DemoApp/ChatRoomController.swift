import FlagonMacros
import FlagonSocketIO

/// The demo's `/chat` namespace: before login a socket may only `login` or `join` (to read
/// a room); once the HTTP session (copied at connect) or a `login` event names the user,
/// `say` and `leave` open up.
@SocketNamespace(initialACL: ["login", "join"])
final class ChatRoomController: NamespaceController {
    private var room: String?

    private var user: String? { session["user"]?.stringValue }

    override func on_connect(auth: JSONValue?) async throws {
        if user != nil { openUp() }
        // A recovered socket is back in its room; this new controller learns which.
        if socket.recovered { room = socket.rooms.first { $0 != socket.id } }
    }

    override func on_disconnect(reason: DisconnectReason) {
        if let room, let user { socket.namespace.to(room).emit("left", ["room": .string(room), "user": .string(user)]) }
    }

    private func openUp() {
        allow(.say, .leave)
    }

    /// Logs in over the socket (the page logs in over HTTP instead).
    func on_login(_ name: String) -> JSONValue {
        let trimmed = name.trimmingSpaces
        guard !trimmed.isEmpty, trimmed.count <= 32 else { return ["ok": false, "error": "invalid name"] }
        session["user"] = .string(trimmed)
        openUp()
        return ["ok": true, "user": .string(trimmed)]
    }

    func on_join(_ name: String) -> JSONValue {
        let target = name.trimmingSpaces
        guard !target.isEmpty, target.count <= 64 else { return ["ok": false, "error": "invalid room"] }
        if let room, room != target { socket.leave(room) }
        room = target
        socket.join(target)
        if let user { socket.namespace.to(target).emit("joined", ["room": .string(target), "user": .string(user)]) }
        return ["ok": true, "room": .string(target), "user": user.map { .string($0) } ?? .null]
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
        // Counted on every worker (and server) the room has members on.
        let delivered = await socket.namespace.to(room).emitCountingEverywhere(
            "said", arguments: [["room": .string(room), "user": .string(user), "text": .string(message)]])
        return ["ok": true, "delivered": .int(delivered)]
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
