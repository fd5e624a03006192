import Flagon
import FlagonJSON
import FlagonLoop
import FlagonSocketIO

/// The conformance server's application: a raw Engine.IO echo endpoint at `/engine.io/`,
/// the Socket.IO example app at `/socket.io/`, and a WebSocket echo route at `/echo`.
public enum ConformanceApp {
    /// The engine settings both endpoints share.
    public static var engineOptions: EngineOptions {
        var options = EngineOptions()
        options.pingInterval = 300
        options.pingTimeout = 200
        options.maxPayload = 1_000_000
        options.cors = .any
        return options
    }

    /// Builds the app.
    @LoopActor
    public static func make() -> App {
        let app = App()
        app.websocket("/echo") { ws in
            ws.onMessage = { message in
                switch message {
                case .text(let text): ws.send(text: text)
                case .binary(let bytes): ws.send(binary: bytes)
                }
            }
        }
        let engine = EngineServer(options: engineOptions)
        engine.onConnection = { session in
            session.onMessage = { data in session.send(data) }
        }
        app.mount("/engine.io", engine)
        app.onShutdown { engine.closeAll() }

        var options = SocketIOOptions()
        options.engine = engineOptions
        options.connectTimeout = 1000
        let sio = SocketIOServer(options: options)
        declareMain(sio.of("/"))
        declareMain(sio.of("/custom"), events: false)
        declareChat(sio.of("/chat"))
        declareAdmin(sio.of("/admin"))
        declareACL(sio.of("/acl"))
        sio.attach(to: app)
        return app
    }

    @LoopActor
    static func declareMain(_ namespace: Namespace, events: Bool = true) {
        namespace.onConnect { socket, auth in
            socket.emit("auth", auth ?? JSONValue.object([:]))
        }
        guard events else { return }
        namespace.on("message") { socket, args in
            socket.emit("message-back", arguments: args)
            return []
        }
        namespace.on("message-with-ack") { _, args in args }
        namespace.on("request-ack") { socket, args in
            socket.emit("ack-request", arguments: args, timeout: 10_000) { result in
                if case .success(let answer) = result { socket.emit("ack-result", arguments: answer) }
            }
            return []
        }
        namespace.on("burst") { socket, args in
            let count = max(0, min(1000, args.first?.intValue ?? 0))
            for i in 0..<count { socket.emit("burst-item", .int(i)) }
            socket.emit("burst-end", .int(count))
            return []
        }
        namespace.on("disconnect-me") { socket, _ in
            socket.disconnect()
            return []
        }
        namespace.on("set-session") { socket, args in
            if let key = args.first?.stringValue { socket.session[key] = args.count > 1 ? args[1] : .null }
            return [true]
        }
        namespace.on("get-session") { socket, args in
            [args.first?.stringValue.flatMap { socket.session[$0] } ?? .null]
        }
    }

    @LoopActor
    static func declareChat(_ chat: Namespace) {
        chat.on("join") { socket, args in
            guard let room = args.first?.stringValue, !room.isEmpty else { return [["ok": false, "error": "invalid room"]] }
            socket.join(room)
            return [["ok": true, "room": .string(room)]]
        }
        chat.on("leave") { socket, args in
            guard let room = args.first?.stringValue, !room.isEmpty else { return [["ok": false, "error": "invalid room"]] }
            socket.leave(room)
            return [["ok": true, "room": .string(room)]]
        }
        chat.on("rooms") { socket, _ in
            [.array(socket.rooms.subtracting([socket.id]).sorted().map { .string($0) })]
        }
        chat.on("say") { socket, args in
            guard let message = args.first?.objectValue, let room = message["room"]?.stringValue, !room.isEmpty else {
                return [["ok": false, "error": "invalid message"]]
            }
            let said: JSONValue = ["room": .string(room), "text": message["text"] ?? .null, "from": .string(socket.id)]
            let delivered = chat.to(room).except(socket.id).emit("said", said)
            return [["ok": true, "delivered": .int(delivered)]]
        }
        chat.on("disconnect-me") { socket, _ in
            socket.disconnect()
            return []
        }
    }

    @LoopActor
    static func declareAdmin(_ admin: Namespace) {
        admin.use { _, auth in
            guard auth?["token"] == "secret" else { throw ConnectionRefused("unauthorized") }
        }
        admin.on("whoami") { _, _ in [["role": "admin"]] }
    }

    @LoopActor
    static func declareACL(_ acl: Namespace) {
        // Replaced by a class-based controller with the controllers feature.
        acl.onConnect { socket, _ in
            socket.session["allowed"] = ["login"]
            socket.session["calls"] = 0
        }
        acl.onUnhandled { socket, event, _ in
            denied(socket, event)
        }
    }

    @LoopActor
    static func denied(_ socket: Socket, _ event: String) -> [JSONValue] {
        let error: JSONValue = ["error": "method_access_denied", "event": .string(event),
                                "message": .string("You do not have access to method \"\(event)\"")]
        socket.emit("method_access_denied", error)
        return [error]
    }
}
