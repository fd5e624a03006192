import Flagon
import FlagonJSON
import FlagonLoop
import FlagonMacros
import FlagonTesting
import Testing
@testable import FlagonSocketIO

/// A controller served on every child of a parent namespace.
@SocketNamespace
final class WorkspaceController: NamespaceController {
    func on_where() -> String { socket.namespace.name }
}

/// Parent namespaces (socket.io's dynamic namespaces): a pattern or a function decides,
/// children are created on first connection with the parent's declarations.
@Suite struct DynamicNamespaceTests {
    @LoopActor private func makeServer(cleanup: Bool = false) -> (App, SocketIOServer) {
        var options = SocketIOOptions()
        options.engine.pingInterval = 60_000
        options.cleanupEmptyChildNamespaces = cleanup
        let sio = SocketIOServer(options: options)
        let app = App()
        sio.attach(to: app)
        return (app, sio)
    }

    /// Children named by clients cannot grow the metrics without bound: past the limit they
    /// are summed under one label; declared namespaces keep theirs.
    @Test @LoopActor func childNamespacesPastTheLimitShareOneMetricLabel() async throws {
        var options = SocketIOOptions()
        options.engine.pingInterval = 60_000
        options.maxChildNamespaceMetricLabels = 3
        let sio = SocketIOServer(options: options)
        let app = App()
        sio.attach(to: app)
        sio.of(matching: /\/room-\d+/).on("hi") { (_: Socket) -> String in "hi" }
        _ = sio.of("/lobby")
        let client = try await SocketIOTestClient.connect(to: app)
        for room in 1...7 { try await client.connect(namespace: "/room-\(room)") }
        _ = try await client.emitWithAck("hi", [], namespace: "/room-7")
        var out = PrometheusWriter()
        sio.writeMetrics(into: &out)
        let connected = out.text.split(separator: "\n").filter { $0.hasPrefix("flagon_socketio_connected_clients{") && $0.contains("polling") }
        let labels = connected.compactMap { line in line.split(separator: "\"").dropFirst().first.map(String.init) }
        #expect(labels == ["/", "/lobby", "/room-1", "/room-2", "/room-3", "(other children)"])
        #expect(connected.last?.hasSuffix(" 4") == true)   // /room-4 to /room-7, one socket each
        #expect(out.text.contains("flagon_socketio_events_received_total{namespace=\"(other children)\"} 1"))
        await client.close()
    }

    /// Names a client picks cannot make one connection hold (and scan per packet) more than
    /// `maxNamespacesPerConnection` namespaces: the next CONNECT is refused, and routing a
    /// packet compares at most that many names (counted, not timed).
    @Test @LoopActor func oneConnectionJoinsAtMostTheLimitOfNamespaces() async throws {
        let (app, sio) = makeServer()
        let limit = SocketIOOptions().maxNamespacesPerConnection
        sio.of(matching: /\/doc-\d+/).on("edit") { (_: Socket) -> Bool in true }
        let client = try await SocketIOTestClient.connect(to: app)   // "/" is the first
        for index in 1..<limit { try await client.connect(namespace: "/doc-\(index)") }
        await #expect(throws: SocketIOTestClient.ClientError.refused(namespace: "/doc-\(limit)", ["message": "Too many namespaces"])) {
            try await client.connect(namespace: "/doc-\(limit)")
        }
        let connection = try #require(sio.of("/").sockets.values.first?.connection)
        let before = connection.namespaceComparisons
        let events = 200
        for _ in 0..<events { #expect(try await client.emitWithAck("edit", [], namespace: "/doc-\(limit - 1)") == [true]) }
        // The last namespace joined is the last one scanned; acks route through the same lookup.
        #expect(connection.namespaceComparisons - before <= events * limit)
        // Leaving one makes room for another.
        client.disconnect(namespace: "/doc-1")
        for _ in 0..<100 where sio.of("/doc-1").sockets.count > 0 { await LoopTimer.sleep(milliseconds: 1) }
        try await client.connect(namespace: "/doc-\(limit)")
        await client.close()
    }

    @Test @LoopActor func aPatternCreatesChildrenWithTheParentsDeclarations() async throws {
        let (app, sio) = makeServer()
        let workspaces = sio.of(matching: /\/workspace-\d+/)
        workspaces.use { socket, _ in socket.data = ["checked": true] }
        workspaces.on("whoami") { (socket: Socket) -> JSONValue in
            ["namespace": .string(socket.namespace.name), "data": socket.data]
        }
        let client = try await SocketIOTestClient.connect(to: app)
        try await client.connect(namespace: "/workspace-42")
        try await client.connect(namespace: "/workspace-7")
        #expect(try await client.emitWithAck("whoami", [], namespace: "/workspace-42") == [["namespace": "/workspace-42", "data": ["checked": true]]])
        let child = try #require(sio.namespace(named: "/workspace-42"))
        #expect(child.parent === workspaces && workspaces.children.count == 2)
        // Not a match (the whole name must match): refused as an unknown namespace.
        await #expect(throws: SocketIOTestClient.ClientError.refused(namespace: "/workspace-x", ["message": "Invalid namespace"])) {
            try await client.connect(namespace: "/workspace-x")
        }
        await #expect(throws: SocketIOTestClient.ClientError.self) { try await client.connect(namespace: "/workspace-42/more") }
        // The parent's emit reaches every child.
        #expect(workspaces.emit("all", arguments: ["hi"]) == 2)
        #expect(await client.waitFor { events in events.filter { $0.name == "all" }.count == 2 })
        await client.close()
    }

    @Test @LoopActor func aFunctionDecidesWithTheAuthAndMayWait() async throws {
        let (app, sio) = makeServer()
        let rooms = sio.of { (name: String, auth: JSONValue?) async -> Bool in
            await LoopTimer.sleep(milliseconds: 5)
            return name.hasPrefix("/room-") && auth?["token"] == "ok"
        }
        rooms.on("ping") { (_: Socket) -> String in "pong" }
        let client = try await SocketIOTestClient.connect(to: app)
        await #expect(throws: SocketIOTestClient.ClientError.self) { try await client.connect(namespace: "/room-1", auth: ["token": "no"]) }
        try await client.connect(namespace: "/room-1", auth: ["token": "ok"])
        #expect(try await client.emitWithAck("ping", [], namespace: "/room-1") == ["pong"])
        await client.close()
    }

    @Test @LoopActor func controllersServeEveryChildAndEmptyChildrenAreRemoved() async throws {
        let (app, sio) = makeServer(cleanup: true)
        sio.register(WorkspaceController.self, in: sio.of(matching: /\/team-[a-z]+/))
        let client = try await SocketIOTestClient.connect(to: app)
        try await client.connect(namespace: "/team-red")
        #expect(try await client.emitWithAck("where", [], namespace: "/team-red") == ["/team-red"])
        #expect(sio.namespace(named: "/team-red") != nil)
        client.disconnect(namespace: "/team-red")
        for _ in 0..<100 where sio.namespace(named: "/team-red") != nil { await LoopTimer.sleep(milliseconds: 5) }
        #expect(sio.namespace(named: "/team-red") == nil)   // cleanupEmptyChildNamespaces
        try await client.connect(namespace: "/team-red")    // created again
        #expect(try await client.emitWithAck("where", [], namespace: "/team-red") == ["/team-red"])
        await client.close()
    }
}
