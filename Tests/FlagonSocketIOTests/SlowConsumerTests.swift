import Flagon
import FlagonJSON
import FlagonLoop
import FlagonTesting
import Testing
@testable import FlagonSocketIO

/// Slow consumers: a polling client that does not poll, a WebSocket client that does not
/// read; each policy, drop counts, volatile events.
@Suite struct SlowConsumerTests {
    @LoopActor private func makeApp(_ policy: SlowConsumerPolicy) -> (App, SocketIOServer) {
        var options = SocketIOOptions()
        options.engine.maxBufferedPackets = 5
        options.engine.pingInterval = 60_000
        options.slowConsumerPolicy = policy
        let sio = SocketIOServer(options: options)
        let app = App()
        sio.attach(to: app)
        return (app, sio)
    }

    /// A polling session connected to `/` that has read its CONNECT reply and then stops polling.
    @LoopActor private func idlePollingSocket(_ app: App, _ sio: SocketIOServer) async throws -> (TestClient, String, Socket) {
        let client = TestClient(app)
        let open = try await client.get("/socket.io/?EIO=4&transport=polling")
        let sid = try #require(try JSONValue.parse(Array(open.body.dropFirst()))["sid"]?.stringValue)
        _ = try await client.post("/socket.io/?EIO=4&transport=polling&sid=\(sid)", body: Array("40".utf8))
        #expect(try await client.get("/socket.io/?EIO=4&transport=polling&sid=\(sid)").text.hasPrefix("40{"))
        let socket = try #require(sio.main.sockets.values.first)
        return (client, sid, socket)
    }

    /// The numbers of the `n` events in a polling response.
    private func numbers(_ body: String) -> [Int] {
        body.split(separator: "\u{1e}").compactMap { packet in
            guard packet.hasPrefix("42[\"n\",") else { return nil }
            return Int(packet.dropFirst(7).dropLast())
        }
    }

    @Test(arguments: [("dropOldest", Array(15..<20)), ("dropNewest", Array(0..<5))])
    @LoopActor func droppingPoliciesKeepTheQueueWithinItsLimit(policy: String, kept: [Int]) async throws {
        let (app, sio) = makeApp(policy == "dropOldest" ? .dropOldest : .dropNewest)
        var reported = 0
        sio.main.onDrop { _, count in reported += count }
        let (client, sid, socket) = try await idlePollingSocket(app, sio)
        for n in 0..<20 { socket.emit("n", .int(n)) }
        #expect(socket.droppedMessages == 15)
        #expect(reported == 15)
        #expect(socket.isConnected)
        let body = try await client.get("/socket.io/?EIO=4&transport=polling&sid=\(sid)").text
        #expect(numbers(body) == kept)
    }

    @Test @LoopActor func theDefaultPolicyDisconnects() async throws {
        let (app, sio) = makeApp(.disconnect)
        var reasons: [DisconnectReason] = []
        sio.main.onDisconnect { _, reason in reasons.append(reason) }
        let (client, sid, socket) = try await idlePollingSocket(app, sio)
        for n in 0..<6 { socket.emit("n", .int(n)) }
        #expect(!socket.isConnected)
        #expect(reasons == [.transportError])
        #expect(try await client.get("/socket.io/?EIO=4&transport=polling&sid=\(sid)").status == 400)
    }

    @Test @LoopActor func theAppCanDecide() async throws {
        let (app, sio) = makeApp(.decide { socket in socket.droppedMessages < 3 ? .dropNewest : .disconnect })
        let (_, _, socket) = try await idlePollingSocket(app, sio)
        for n in 0..<8 { socket.emit("n", .int(n)) }   // 5 fit, 3 dropped, the 9th disconnects
        #expect(socket.droppedMessages == 3)
        #expect(socket.isConnected)
        socket.emit("n", .int(8))
        #expect(!socket.isConnected)
    }

    @Test @LoopActor func acksAreNeverDropped() async throws {
        let (app, sio) = makeApp(.dropNewest)
        let (client, sid, socket) = try await idlePollingSocket(app, sio)
        for n in 0..<5 { socket.emit("n", .int(n)) }
        socket.sendAck(7, [true])   // the queue is full of droppable events: the oldest makes room
        #expect(socket.isConnected)
        let body = try await client.get("/socket.io/?EIO=4&transport=polling&sid=\(sid)").text
        #expect(body.contains("437[true]"))
        #expect(numbers(body) == [1, 2, 3, 4])
    }

    @Test @LoopActor func volatileEventsAreDroppedWhenTheTransportIsBusy() async throws {
        let (app, sio) = makeApp(.disconnect)
        let (client, sid, socket) = try await idlePollingSocket(app, sio)
        socket.volatile.emit("n", .int(1))           // no GET waiting: dropped
        sio.main.volatile.emit("n", .int(2))         // the same for broadcasts
        #expect(socket.droppedMessages == 2)
        let poll = Task { try await client.get("/socket.io/?EIO=4&transport=polling&sid=\(sid)").text }
        for _ in 0..<100 where !socket.connection.engine.isWritable { await LoopTimer.sleep(milliseconds: 5) }
        socket.volatile.emit("n", .int(3))           // a GET waits: sent
        #expect(numbers(try await poll.value) == [3])
        #expect(socket.droppedMessages == 2)
    }

    @Test @LoopActor func aWebSocketThatDoesNotReadKeepsTheNewestEventsWithDropOldest() async throws {
        var options = SocketIOOptions()
        options.engine.maxBufferedBytes = 64 * 1024
        options.engine.pingInterval = 60_000
        options.slowConsumerPolicy = .dropOldest
        let sio = SocketIOServer(options: options)
        let app = App()
        sio.attach(to: app)
        var serverOptions = ServerOptions()
        serverOptions.port = 0
        serverOptions.handleSignals = false
        serverOptions.writeHighWaterMark = 16 * 1024
        let server = try Server(app: app, options: serverOptions)
        let port = try server.start()
        let ws = try await WebSocketTestClient.connect(port: port, path: "/socket.io/?EIO=4&transport=websocket")
        #expect(await ws.waitForText { $0.hasPrefix("0{") } != nil)
        ws.send(text: "40")
        #expect(await ws.waitForText { $0.hasPrefix("40{") } != nil)
        let socket = try #require(sio.main.sockets.values.first)
        ws.pauseReading()
        let filler = String(repeating: "x", count: 10_000)
        for n in 0..<1200 {
            socket.emit("n", .int(n), .string(filler))
            if n % 100 == 99 { await LoopTimer.sleep(milliseconds: 1) }   // let the kernel buffers fill
        }
        #expect(socket.isConnected)
        #expect(socket.droppedMessages > 0)
        ws.resumeReading()
        #expect(await ws.waitForText(timeout: 10_000) { $0.hasPrefix("42[\"n\",1199,") } != nil)
        ws.close()
        await server.shutdown()
    }
}
