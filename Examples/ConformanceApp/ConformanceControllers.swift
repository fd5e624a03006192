import FlagonJSON
import FlagonLoop
import FlagonSocketIO

/// `/` and `/custom`: emits `auth` after the CONNECT reply; `/` also echoes, acks, bursts,
/// disconnects on request and keeps per-socket session values.
final class MainController: NamespaceController, EventController {
    static let events = EventTable<MainController> { table in
        table.onRaw("message", MainController.on_message)
        table.onRaw("message-with-ack", MainController.on_message_with_ack)
        table.onRaw("request-ack", MainController.on_request_ack)
        table.onRaw("burst", MainController.on_burst)
        table.on("disconnect-me", MainController.on_disconnect_me)
        table.on("set-session", MainController.on_set_session)
        table.on("get-session", MainController.on_get_session)
    }

    override func on_connect(auth: JSONValue?) async throws {
        emit("auth", auth ?? JSONValue.object([:]))
    }

    func on_message(_ args: [JSONValue]) {
        socket.emit("message-back", arguments: args)
    }

    func on_message_with_ack(_ args: [JSONValue]) -> AckArguments {
        AckArguments(values: args)
    }

    func on_request_ack(_ args: [JSONValue]) {
        let socket = self.socket
        socket.emit("ack-request", arguments: args, timeout: 10_000) { result in
            if case .success(let answer) = result { socket.emit("ack-result", arguments: answer) }
        }
    }

    func on_burst(_ args: [JSONValue]) {
        let count = max(0, min(1000, args.first?.intValue ?? 0))
        for i in 0..<count { emit("burst-item", .int(i)) }
        emit("burst-end", .int(count))
    }

    func on_disconnect_me() {
        socket.disconnect()
    }

    func on_set_session(_ key: String, _ value: JSONValue?) -> Bool {
        session[key] = value ?? .null
        return true
    }

    func on_get_session(_ key: String) -> JSONValue {
        session[key] ?? .null
    }
}

/// `/custom`: the `auth` event only.
final class CustomController: NamespaceController, EventController {
    static let events = EventTable<CustomController> { _ in }

    override func on_connect(auth: JSONValue?) async throws {
        emit("auth", auth ?? JSONValue.object([:]))
    }
}

/// `/chat`: rooms.
final class ChatController: NamespaceController, EventController {
    static let events = EventTable<ChatController> { table in
        table.on("join", ChatController.on_join)
        table.on("leave", ChatController.on_leave)
        table.on("rooms", ChatController.on_rooms)
        table.on("say", ChatController.on_say)
        table.on("disconnect-me", ChatController.on_disconnect_me)
    }

    private static let invalidRoom: JSONValue = ["ok": false, "error": "invalid room"]

    func on_join(_ room: JSONValue?) -> JSONValue {
        guard let name = room?.stringValue, !name.isEmpty else { return Self.invalidRoom }
        socket.join(name)
        return ["ok": true, "room": .string(name)]
    }

    func on_leave(_ room: JSONValue?) -> JSONValue {
        guard let name = room?.stringValue, !name.isEmpty else { return Self.invalidRoom }
        socket.leave(name)
        return ["ok": true, "room": .string(name)]
    }

    func on_rooms() -> JSONValue {
        .array(socket.rooms.subtracting([socket.id]).sorted().map { .string($0) })
    }

    func on_say(_ message: JSONValue?) -> JSONValue {
        guard let room = message?["room"]?.stringValue, !room.isEmpty else { return ["ok": false, "error": "invalid message"] }
        let said: JSONValue = ["room": .string(room), "text": message?["text"] ?? .null, "from": .string(socket.id)]
        let delivered = socket.namespace.to(room).except(socket.id).emit("said", said)
        return ["ok": true, "delivered": .int(delivered)]
    }

    func on_disconnect_me() {
        socket.disconnect()
    }
}

/// `/admin`: only with `{"token":"secret"}`.
final class AdminController: NamespaceController, EventController {
    static let events = EventTable<AdminController> { table in
        table.on("whoami", AdminController.on_whoami)
    }

    override func on_connect(auth: JSONValue?) async throws {
        guard auth?["token"] == "secret" else { throw ConnectionRefused("unauthorized") }
    }

    func on_whoami() -> JSONValue { ["role": "admin"] }
}

/// `/acl`: per-event access control, gevent-socketio style.
final class ACLController: NamespaceController, EventController {
    override class var initialACL: Set<String>? { ["login"] }

    static let events = EventTable<ACLController> { table in
        table.on("login", ACLController.on_login)
        table.on("whoami", ACLController.on_whoami)
        table.on("secret", ACLController.on_secret)
        table.on("logout", ACLController.on_logout)
    }

    private var calls = 0

    func on_login(_ credentials: JSONValue?) -> JSONValue {
        guard let user = credentials?["user"]?.stringValue, !user.isEmpty,
              credentials?["password"] == "letmein" else { return ["ok": false, "error": "invalid credentials"] }
        session["user"] = .string(user)
        for event in ["whoami", "secret", "logout"] { allow(event) }
        return ["ok": true, "user": .string(user)]
    }

    func on_whoami() -> JSONValue {
        ["user": session["user"] ?? .null]
    }

    func on_secret() -> JSONValue {
        calls += 1
        return ["secret": "42", "calls": .int(calls)]
    }

    func on_logout() -> JSONValue {
        session["user"] = nil
        reset()
        return ["ok": true]
    }
}
