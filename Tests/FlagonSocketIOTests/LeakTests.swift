@testable import Flagon
import FlagonJSON
import FlagonLoop
import FlagonTesting
import Testing
import FlagonMacros
@testable import FlagonSocketIO

/// Weak references to every per-connection object the server made.
@LoopActor
final class Tracked {
    private var references: [(String, () -> AnyObject?)] = []

    func add(_ name: String, _ object: AnyObject?) {
        guard let object else { return }
        weak let weakObject = object
        references.append((name, { weakObject }))
    }

    /// Records a socket and everything below it.
    func add(socket: Socket) {
        add("socket", socket)
        add("controller", socket.controller)
        add("client", socket.connection)
        add("engine session", socket.connection.engine)
        add("handshake request", socket.handshake.context)
        if let ws = socket.connection.engine.webSocket {
            add("websocket", ws)
            add("stream", ws.stream)
        }
    }

    var count: Int { references.count }

    /// The names of the objects still alive.
    var alive: [String] { references.compactMap { $0.1() == nil ? nil : $0.0 } }
}

/// A controller whose connect takes a while.
@SocketNamespace
final class SlowConnectController: NamespaceController {
    override func on_connect(auth: JSONValue?) async throws { await LoopTimer.sleep(milliseconds: 100) }
}

/// A controller namespace that joins rooms, leaves an ack pending and owns a task.
@SocketNamespace
final class LeakController: NamespaceController {
    @LoopActor static var tracked: Tracked?

    override func on_connect(auth: JSONValue?) async throws {
        spawn { await LoopTimer.sleep(milliseconds: 60_000) }
    }

    func on_join(_ room: String) -> Bool {
        socket.join(room)
        Self.tracked?.add(socket: socket)
        return true
    }

    func on_ask() -> Bool {
        socket.emit("question", arguments: [1], timeout: 60_000) { _ in }
        return true
    }
}

@Suite(.serialized) struct LeakTests {
    @LoopActor private func makeApp(_ tracked: Tracked) -> (App, SocketIOServer) {
        var options = SocketIOOptions()
        options.engine.pingInterval = 5000
        options.engine.pingTimeout = 5000
        let sio = SocketIOServer(options: options)
        let app = App()
        sio.register(LeakController.self, namespace: "/ctl")
        sio.on("join") { socket, args in
            socket.join(args.first?.stringValue ?? "r")
            tracked.add(socket: socket)
            return [true]
        }
        sio.on("ask") { socket, _ in
            socket.emit("question", arguments: [1], timeout: 60_000) { _ in }
            return [true]
        }
        sio.main.onConnect { socket, _ in socket.startTask { await LoopTimer.sleep(milliseconds: 60_000) } }
        // Presence, expiring credentials (a pending warning timer) and room history.
        let live = sio.of("/live")
        live.trackPresence(event: "presence")
        let history = live.keepHistory(RoomHistoryLimits(maxMessages: 5))
        live.onConnect { socket, _ in
            socket.presenceKey = "user-\(socket.id.prefix(4))"
            socket.grantCredentials(.valid(for: 60_000, scopes: ["chat"]))
        }
        live.on("join") { (socket: Socket, room: String) async -> Bool in
            await history.replay(room, to: socket)
            socket.join(room)
            await history.emit(to: room, event: "said") { seq in [.int(seq)] }
            tracked.add(socket: socket)
            return true
        }
        live.on("ask") { socket, _ in
            socket.emit("question", arguments: [1], timeout: 60_000) { _ in }
            return [true]
        }
        sio.attach(to: app)
        LeakController.tracked = tracked
        return (app, sio)
    }

    /// One WebSocket connection: namespace, room, acked event, a pending server ack, then
    /// an abrupt close (or a close frame).
    @LoopActor private func webSocketCycle(port: Int, namespace: String, abrupt: Bool) async throws {
        let ws = try await WebSocketTestClient.connect(port: port, path: "/socket.io/?EIO=4&transport=websocket")
        #expect(await ws.waitForText { $0.hasPrefix("0{") } != nil)
        let prefix = namespace == "/" ? "" : namespace + ","
        ws.send(text: "40\(prefix)")
        #expect(await ws.waitForText { $0.hasPrefix("40\(prefix){") } != nil)
        ws.send(text: "42\(prefix)1[\"join\",\"room-a\"]")
        #expect(await ws.waitForText { $0 == "43\(prefix)1[true]" } != nil)
        ws.send(text: "42\(prefix)2[\"ask\"]")
        #expect(await ws.waitForText { $0 == "43\(prefix)2[true]" } != nil)
        if abrupt { ws.drop() } else { ws.sendClose(); _ = await ws.waitForClose(); ws.close() }
    }

    /// A long-polling session that starts an upgrade (probe answered) and is then dropped.
    @LoopActor private func pollingCycle(port: Int, namespace: String) async throws {
        let client = try await SocketIOTestClient.connect(to: LiveHandler(port: port), namespace: namespace)
        #expect(try await client.emitWithAck("join", ["room-b"], namespace: namespace) == [true])
        #expect(try await client.emitWithAck("ask", [], namespace: namespace) == [true])
        let ws = try await WebSocketTestClient.connect(
            port: port, path: "/socket.io/?EIO=4&transport=websocket&sid=\(client.engineID)")
        ws.send(text: "2probe")
        #expect(await ws.waitForText { $0 == "3probe" } != nil)
        ws.drop()
        await client.close()
    }

    @Test @LoopActor func nothingSurvivesADisconnect() async throws {
        let tracked = Tracked()
        let (app, sio) = makeApp(tracked)
        let server = try Server(app: app, options: {
            var options = ServerOptions()
            options.port = 0
            options.handleSignals = false
            return options
        }())
        let port = try server.start()
        // One cycle first, so that lazily created shared state exists before counting handles.
        try await webSocketCycle(port: port, namespace: "/", abrupt: false)
        #expect(await settle(sio, server))
        let handlesAtStart = server.handles.openCount   // the listener and the sweep timer

        for round in 0..<5 {
            for namespace in ["/", "/ctl", "/live"] {
                try await webSocketCycle(port: port, namespace: namespace, abrupt: round % 2 == 0)
                try await pollingCycle(port: port, namespace: namespace)
            }
        }
        #expect(await settle(sio, server))
        #expect(tracked.count > 50)
        var alive = tracked.alive
        for _ in 0..<100 where !alive.isEmpty {
            await LoopTimer.sleep(milliseconds: 20)
            alive = tracked.alive
        }
        #expect(alive.isEmpty, "still alive: \(alive)")

        #expect(sio.main.sockets.isEmpty)
        #expect(sio.namespace(named: "/ctl")?.sockets.isEmpty == true)
        let live = try #require(sio.namespace(named: "/live"))
        #expect(live.sockets.isEmpty)
        #expect(live.presence(in: "room-a").isEmpty && live.presence(in: "room-b").isEmpty)
        #expect(live.presence.map { $0.localCounts == (0, 0) } == true)
        #expect(server.handles.openCount == handlesAtStart)
        #expect(sio.engine.handles.openCount == 0)
        await server.shutdown()
    }

    /// Waits until the server holds no session and no connection.
    @LoopActor private func settle(_ sio: SocketIOServer, _ server: Server) async -> Bool {
        for _ in 0..<250 {
            if sio.engine.sessionCount == 0 && server.connectionCount == 0 { return true }
            await LoopTimer.sleep(milliseconds: 20)
        }
        return false
    }

    @Test @LoopActor func aSocketThatLeavesWhileConnectingIsNotKept() async throws {
        let sio = SocketIOServer()
        sio.register(SlowConnectController.self, namespace: "/slow")
        let app = App()
        sio.attach(to: app)
        var options = ServerOptions()
        options.port = 0
        options.handleSignals = false
        let server = try Server(app: app, options: options)
        let port = try server.start()
        let ws = try await WebSocketTestClient.connect(port: port, path: "/socket.io/?EIO=4&transport=websocket")
        #expect(await ws.waitForText { $0.hasPrefix("0{") } != nil)
        ws.send(text: "40/slow,")
        ws.send(text: "41/slow,")   // gone before on_connect returns
        await LoopTimer.sleep(milliseconds: 300)
        #expect(sio.namespace(named: "/slow")?.sockets.isEmpty == true)
        #expect(await ws.waitForText(timeout: 100) { $0.hasPrefix("40/slow,") } == nil)   // no CONNECT reply for a socket that left
        ws.close()
        await server.shutdown()
    }
}
