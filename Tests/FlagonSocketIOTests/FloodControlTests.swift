import Flagon
import FlagonJSON
import FlagonLoop
import FlagonTesting
import Testing
@testable import FlagonSocketIO

final class LimitedController: NamespaceController {
    static let events = EventTable<LimitedController> { table in
        table.on("post", LimitedController.on_post)
        table.on("read", LimitedController.on_read)
        table.limit("post", RateLimit(perSecond: 0.001, burst: 2))
    }
    func on_post() -> Bool { true }
    func on_read() -> Bool { true }
}

@Suite struct FloodControlTests {
    @LoopActor private func makeApp(_ configure: (inout SocketIOOptions) -> Void = { _ in }) -> (App, SocketIOServer) {
        var options = SocketIOOptions()
        options.rateLimit = RateLimit(perSecond: 0.001, burst: 3)   // no refill during a test
        configure(&options)
        let sio = SocketIOServer(options: options)
        sio.on("ping") { _, _ in [true] }
        sio.on("ask") { socket, _ in
            socket.emit("question", arguments: [1], timeout: 5000) { _ in }
            return [true]
        }
        let chat = sio.of("/chat")
        chat.rateLimit = RateLimit(perSecond: 1000, burst: 1000)
        chat.rateLimit(event: "say", RateLimit(perSecond: 0.001, burst: 1))
        chat.on("say") { _, _ in [true] }
        chat.on("look") { _, _ in [true] }
        sio.register(LimitedController.self, namespace: "/ctl")
        let app = App()
        sio.attach(to: app)
        return (app, sio)
    }

    private static func limited(_ event: String) -> JSONValue {
        ["error": "rate_limited", "event": .string(event), "message": .string("Too many \"\(event)\" events: slow down")]
    }

    @Test @LoopActor func eventsOverTheLimitDoNotRunAndTheClientIsTold() async throws {
        let (app, _) = makeApp()
        let client = try await SocketIOTestClient.connect(to: app)
        let other = try await SocketIOTestClient.connect(to: app)
        for _ in 0..<3 { #expect(try await client.emitWithAck("ping") == [true]) }
        #expect(try await client.emitWithAck("ping") == [Self.limited("ping")])
        #expect(await client.waitFor { $0.contains { $0.name == "rate_limited" } })
        #expect(client.received().first { $0.name == "rate_limited" }?.arguments == [Self.limited("ping")])
        // Other sockets are not affected.
        #expect(try await other.emitWithAck("ping") == [true])
        await client.close()
        await other.close()
    }

    @Test @LoopActor func acksFromTheClientAreNotCounted() async throws {
        let (app, _) = makeApp()
        let client = try await SocketIOTestClient.connect(to: app)
        client.ackHandlers["question"] = { _ in [true] }
        for _ in 0..<3 { #expect(try await client.emitWithAck("ask") == [true]) }   // three events, three client acks
        #expect(await client.waitFor { $0.filter { $0.name == "question" }.count == 3 })
        #expect(try await client.emitWithAck("ping") == [Self.limited("ping")])
        await client.close()
    }

    @Test @LoopActor func namespaceAndEventLimitsApply() async throws {
        let (app, _) = makeApp()
        let client = try await SocketIOTestClient.connect(to: app)
        _ = try await client.connect(namespace: "/chat")
        #expect(try await client.emitWithAck("say", namespace: "/chat") == [true])
        #expect(try await client.emitWithAck("say", namespace: "/chat") == [Self.limited("say")])
        for _ in 0..<10 { #expect(try await client.emitWithAck("look", namespace: "/chat") == [true]) }   // the namespace's own limit
        _ = try await client.connect(namespace: "/ctl")
        #expect(try await client.emitWithAck("post", namespace: "/ctl") == [true])
        #expect(try await client.emitWithAck("post", namespace: "/ctl") == [true])
        #expect(try await client.emitWithAck("post", namespace: "/ctl") == [Self.limited("post")])
        #expect(try await client.emitWithAck("read", namespace: "/ctl") == [true])
        await client.close()
    }

    @Test @LoopActor func tooManyViolationsDisconnectTheSocket() async throws {
        let (app, sio) = makeApp { $0.maxRateViolations = 2 }
        var reasons: [DisconnectReason] = []
        sio.main.onDisconnect { _, reason in reasons.append(reason) }
        let client = try await SocketIOTestClient.connect(to: app)
        for _ in 0..<3 { _ = try await client.emitWithAck("ping") }
        #expect(try await client.emitWithAck("ping") == [Self.limited("ping")])
        client.emit("ping")
        #expect(await client.waitFor { _ in client.disconnectedByServer == ["/"] })
        #expect(reasons == [.rateLimited])
        await client.close()
    }

    /// A live server with an Engine.IO endpoint at /engine.io.
    @LoopActor private func startEngine(_ options: EngineOptions) throws -> (Server, EngineServer, LiveTestClient) {
        let engine = EngineServer(options: options)
        let app = App()
        app.mount("/engine.io", engine)
        var serverOptions = ServerOptions()
        serverOptions.port = 0
        serverOptions.handleSignals = false
        let server = try Server(app: app, options: serverOptions)
        return (server, engine, LiveTestClient(port: try server.start()))
    }

    @Test @LoopActor func handshakesPerAddressAreLimited() async throws {
        var options = EngineOptions()
        options.handshakeRateLimit = RateLimit(perSecond: 0.001, burst: 2)
        let (server, engine, client) = try startEngine(options)
        for _ in 0..<2 { #expect(try await client.get("/engine.io/?EIO=4&transport=polling").status == 200) }
        let refused = try await client.get("/engine.io/?EIO=4&transport=polling")
        #expect(refused.status == 429)
        #expect(try refused.json()["message"]?.stringValue?.hasPrefix("Too many new sessions from this address") == true)
        engine.closeAll()
        await server.shutdown()
    }

    @Test @LoopActor func sessionsPerAddressAreLimited() async throws {
        var options = EngineOptions()
        options.maxSessionsPerAddress = 2
        let (server, engine, client) = try startEngine(options)
        var sids: [String] = []
        for _ in 0..<2 {
            let open = try await client.get("/engine.io/?EIO=4&transport=polling")
            sids.append(try #require(try JSONValue.parse(Array(open.body.dropFirst()))["sid"]?.stringValue))
        }
        #expect(try await client.get("/engine.io/?EIO=4&transport=polling").status == 429)
        // A closed session frees its place.
        _ = try await client.post("/engine.io/?EIO=4&transport=polling&sid=\(sids[0])", body: Array("1".utf8))
        #expect(try await client.get("/engine.io/?EIO=4&transport=polling").status == 200)
        engine.closeAll()
        await server.shutdown()
    }
}
