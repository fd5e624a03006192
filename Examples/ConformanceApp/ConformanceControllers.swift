import FlagonMacros
import FlagonSocketIO

/// `/` and `/custom`: emits `auth` after the CONNECT reply; `/` also echoes, acks, bursts,
/// disconnects on request and keeps per-socket session values.
@SocketNamespace
final class MainController: NamespaceController {
    override func on_connect(auth: JSONValue?) async throws {
        emit("auth", auth ?? JSONValue.object([:]))
    }

    func on_message(_ args: RawArguments) {
        socket.emit("message-back", arguments: args.values)
    }

    @Event("message-with-ack")
    func on_message_with_ack(_ args: RawArguments) -> RawArguments { args }

    @Event("request-ack")
    func on_request_ack(_ args: RawArguments) {
        let socket = self.socket
        socket.emit("ack-request", arguments: args.values, timeout: 10_000) { result in
            if case .success(let answer) = result { socket.emit("ack-result", arguments: answer) }
        }
    }

    func on_burst(_ args: RawArguments) {
        let count = max(0, min(1000, args.values.first?.intValue ?? 0))
        for i in 0..<count { emit("burst-item", .int(i)) }
        emit("burst-end", .int(count))
    }

    @Event("disconnect-me")
    func on_disconnect_me() {
        socket.disconnect()
    }

    @Event("set-session")
    func on_set_session(_ key: String, _ value: JSONValue?) -> Bool {
        session[key] = value ?? .null
        return true
    }

    @Event("get-session")
    func on_get_session(_ key: String) -> JSONValue {
        session[key] ?? .null
    }
}

/// `/custom`: the `auth` event only.
@SocketNamespace
final class CustomController: NamespaceController {
    override func on_connect(auth: JSONValue?) async throws {
        emit("auth", auth ?? JSONValue.object([:]))
    }
}

/// `/chat`: rooms.
@SocketNamespace
final class ChatController: NamespaceController {
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

    func on_say(_ message: JSONValue?) async -> JSONValue {
        guard let room = message?["room"]?.stringValue, !room.isEmpty else { return ["ok": false, "error": "invalid message"] }
        let said: JSONValue = ["room": .string(room), "text": message?["text"] ?? .null, "from": .string(socket.id)]
        // Counted on every worker and server of a cluster.
        let delivered = await socket.namespace.to(room).except(socket.id).emitCountingEverywhere("said", arguments: [said])
        return ["ok": true, "delivered": .int(delivered)]
    }

    @Event("disconnect-me")
    func on_disconnect_me() {
        socket.disconnect()
    }
}

/// `/admin`: only with `{"token":"secret"}`.
@SocketNamespace
final class AdminController: NamespaceController {
    override func on_connect(auth: JSONValue?) async throws {
        guard auth?["token"] == "secret" else { throw ConnectionRefused("unauthorized") }
    }

    func on_whoami() -> JSONValue { ["role": "admin"] }
}

/// `/acl`: per-event access control, gevent-socketio style.
@SocketNamespace(initialACL: ["login"])
final class ACLController: NamespaceController {
    private var calls = 0

    func on_login(_ credentials: JSONValue?) -> JSONValue {
        guard let user = credentials?["user"]?.stringValue, !user.isEmpty,
              credentials?["password"] == "letmein" else { return ["ok": false, "error": "invalid credentials"] }
        session["user"] = .string(user)
        allow(.whoami, .secret, .logout)
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
        resetACL()
        return ["ok": true]
    }
}
