import Flagon
import FlagonJSON
import FlagonLoop
import FlagonTesting
import Foundation
import Testing
@testable import FlagonSocketIO

@LoopActor
private func makeServer(_ configure: (inout SocketIOOptions) -> Void = { _ in }) -> (App, SocketIOServer) {
    var options = SocketIOOptions()
    options.engine.pingInterval = 1000
    options.engine.pingTimeout = 5000   // generous: a loaded test run may hold the loop for a second
    configure(&options)
    let sio = SocketIOServer(options: options)
    let app = App()
    sio.attach(to: app)
    sio.on("echo") { _, args in args }
    sio.on("join") { socket, args in
        for room in args.compactMap(\.stringValue) { socket.join(room) }
        return [true]
    }
    app.post("/notify") { request in
        let count = sio.emit("notice", .string(request.text))
        return Response.text("\(count)")
    }
    return (app, sio)
}

@Suite struct SocketIOServerTests {
    @Test @LoopActor func emitsFromHTTPRoutesReachConnectedClients() async throws {
        let (app, _) = makeServer()
        let a = try await SocketIOTestClient.connect(to: app)
        let b = try await SocketIOTestClient.connect(to: app)
        let response = try await TestClient(app).post("/notify", body: Array("hello".utf8))
        #expect(response.text == "2")
        #expect(await a.waitFor { $0.contains { $0.name == "notice" } })
        #expect(await b.waitFor { $0.contains { $0.name == "notice" } })
        #expect(a.received().first { $0.name == "notice" }?.arguments == ["hello"])
        await a.close()
        await b.close()
    }

    @Test @LoopActor func emitsFromOtherThreadsHopOntoTheLoop() async throws {
        let (app, sio) = makeServer()
        let client = try await SocketIOTestClient.connect(to: app)
        _ = try await client.emitWithAck("join", ["dash"])
        let thread = Thread { sio.emitFromAnyThread("tick", arguments: [1], room: "dash") }
        thread.start()
        #expect(await client.waitFor { $0.contains { $0.name == "tick" } })
        await client.close()
    }

    @Test @LoopActor func serverAcksTimeOutWithAnErrorAndDoNotLeak() async throws {
        let (app, sio) = makeServer()
        let client = try await SocketIOTestClient.connect(to: app)
        client.ackHandlers["answer-me"] = { args in args + [true] }
        let socket = try #require(sio.main.sockets.values.first)
        #expect(try await socket.emitWithAck("answer-me", arguments: [1], timeout: 2000) == [1, true])
        client.unansweredEvents = ["never-answered"]
        await #expect(throws: AckError.timeout) {
            try await socket.emitWithAck("never-answered", arguments: [], timeout: 50)
        }
        await client.close()
        await #expect(throws: AckError.disconnected) {
            try await socket.emitWithAck("gone", arguments: [], timeout: 1000)
        }
    }

    /// Ack timeouts share the engine's deadline queue: each fails at its own time, in order,
    /// an answered one is unaffected, and nothing stays scheduled once no ack is waiting.
    @Test @LoopActor func ackTimeoutsFireInDeadlineOrderOnTheSharedQueue() async throws {
        let (app, sio) = makeServer()
        let client = try await SocketIOTestClient.connect(to: app)
        client.unansweredEvents = ["slow", "slower", "slowest"]
        client.ackHandlers["quick"] = { args in args }
        let socket = try #require(sio.main.sockets.values.first)
        let baseline = sio.engine.deadlines.count
        var order: [String] = []
        for (event, timeout) in [("slowest", UInt64(90)), ("slow", 30), ("slower", 60)] {
            socket.emit(event, arguments: [], timeout: timeout) { result in
                if case .failure(.timeout) = result { order.append(event) }
            }
        }
        #expect(sio.engine.deadlines.count == baseline + 1)   // one entry for every ack of the socket
        #expect(try await socket.emitWithAck("quick", arguments: [7], timeout: 5000) == [7])
        for _ in 0..<100 where order.count < 3 { await LoopTimer.sleep(milliseconds: 10) }
        #expect(order == ["slow", "slower", "slowest"])
        #expect(sio.engine.deadlines.count == baseline)
        await client.close()
    }

    @Test @LoopActor func catchAllHooksSeeIncomingAndOutgoingEvents() async throws {
        let (app, sio) = makeServer()
        var incoming: [String] = []
        var outgoing: [String] = []
        sio.main.onAnyIncoming { _, event, _ in incoming.append(event) }
        sio.main.onAnyOutgoing { _, event, _ in outgoing.append(event) }
        let client = try await SocketIOTestClient.connect(to: app)
        client.emit("unknown-event", [1])
        _ = try await client.emitWithAck("echo", [2])
        sio.emit("broadcasted", 3)
        #expect(await client.waitFor { $0.contains { $0.name == "broadcasted" } })
        #expect(incoming == ["unknown-event", "echo"])
        #expect(outgoing == ["broadcasted"])
        await client.close()
    }

    @Test @LoopActor func roomsBroadcastsAndRemoteOperations() async throws {
        let (app, sio) = makeServer()
        let a = try await SocketIOTestClient.connect(to: app)
        let b = try await SocketIOTestClient.connect(to: app)
        let c = try await SocketIOTestClient.connect(to: app)
        _ = try await a.emitWithAck("join", ["r1", "r2"])
        _ = try await b.emitWithAck("join", ["r2"])
        let before = OutboundMessage.encodings
        #expect(sio.main.to("r1").to("r2").emit("both") == 2)   // a once, b once
        #expect(OutboundMessage.encodings == before + 1)          // encoded once for everyone
        #expect(sio.main.to("r2").except("r1").emit("r2-not-r1") == 1)
        #expect(sio.main.except("r2").emit("outside") == 1)
        #expect(await b.waitFor { $0.contains { $0.name == "r2-not-r1" } })
        #expect(await c.waitFor { $0.contains { $0.name == "outside" } })
        #expect(await a.waitFor { $0.contains { $0.name == "both" } })
        #expect(a.received().filter { $0.name == "both" }.count == 1)
        #expect(!a.received().contains { $0.name == "r2-not-r1" || $0.name == "outside" })

        let socketA = try #require(sio.main.sockets[a.sids["/"]!])
        #expect(socketA.rooms == [socketA.id, "r1", "r2"])
        #expect(socketA.to("r2").emit("from-a") == 1)   // b only, not the sender
        sio.main.to("r1").socketsJoin("r3")
        #expect(socketA.rooms.contains("r3"))
        socketA.data = ["user": "ann"]
        let fetched = await sio.main.to("r2").fetchSockets()
        #expect(Set(fetched.map(\.id)) == [a.sids["/"]!, b.sids["/"]!])
        let fetchedA = try #require(fetched.first { $0.id == socketA.id })
        #expect(fetchedA.data == ["user": "ann"] && fetchedA.rooms.contains("r2"))
        #expect(fetchedA.handshake["url"]?.stringValue?.hasPrefix("/socket.io/?EIO=4") == true)
        #expect(fetchedA.handshake["query"]?["EIO"] == "4")
        fetchedA.join("r9")
        #expect(socketA.rooms.contains("r9"))
        #expect(await sio.main.local.fetchSockets().count == 3)
        sio.main.closeRoom("r2")
        #expect(sio.main.to("r2").emit("nobody") == 0)
        sio.main.to("r1").disconnectSockets()
        #expect(await a.waitFor { _ in a.disconnectedByServer == ["/"] })
        #expect(sio.main.sockets.count == 2)
        for client in [a, b, c] { await client.close() }
    }

    @Test @LoopActor func connectMiddlewareAndHandlersCanRefuseWithData() async throws {
        let (app, sio) = makeServer()
        let guarded = sio.of("/guarded")
        guarded.use { _, auth async throws in
            await LoopTimer.sleep(milliseconds: 1)
            guard auth?["token"] == "ok" else { throw ConnectionRefused("unauthorized", data: ["hint": "token"]) }
        }
        guarded.onConnect { socket, _ in
            socket.emit("welcome")   // held back until the CONNECT reply is out
            if socket.auth?["banned"] == true { throw ConnectionRefused("banned") }
        }
        await #expect(throws: SocketIOTestClient.ClientError.refused(namespace: "/guarded", ["message": "unauthorized", "data": ["hint": "token"]])) {
            _ = try await SocketIOTestClient.connect(to: app, namespace: "/guarded", auth: ["token": "no"])
        }
        await #expect(throws: SocketIOTestClient.ClientError.refused(namespace: "/guarded", ["message": "banned"])) {
            _ = try await SocketIOTestClient.connect(to: app, namespace: "/guarded", auth: ["token": "ok", "banned": true])
        }
        let client = try await SocketIOTestClient.connect(to: app, namespace: "/guarded", auth: ["token": "ok"])
        #expect(await client.waitFor { $0.contains { $0.name == "welcome" } })
        await #expect(throws: SocketIOTestClient.ClientError.refused(namespace: "/nowhere", ["message": "Invalid namespace"])) {
            try await client.connect(namespace: "/nowhere")
        }
        await client.close()
    }

    @Test @LoopActor func disconnectReasonsAreReported() async throws {
        let (app, sio) = makeServer()
        var reasons: [DisconnectReason] = []
        sio.onDisconnect { _, reason in reasons.append(reason) }
        sio.on("kick-me") { socket, _ in
            socket.disconnect()
            return []
        }
        let a = try await SocketIOTestClient.connect(to: app)
        a.disconnect()
        let b = try await SocketIOTestClient.connect(to: app)
        b.emit("kick-me")
        #expect(await b.waitFor { _ in b.disconnectedByServer == ["/"] })
        let c = try await SocketIOTestClient.connect(to: app)
        await c.close()
        await LoopTimer.sleep(milliseconds: 20)
        #expect(reasons == [.clientNamespaceDisconnect, .serverNamespaceDisconnect, .transportClose])
        #expect(sio.main.sockets.isEmpty)
    }

    @Test @LoopActor func aClientThatReadsTooSlowlyIsDisconnected() async throws {
        let (app, sio) = makeServer { $0.engine.maxBufferedPackets = 50 }
        var reasons: [DisconnectReason] = []
        sio.onDisconnect { _, reason in reasons.append(reason) }
        let client = try await SocketIOTestClient.connect(to: app)
        let socket = try #require(sio.main.sockets.values.first)
        for i in 0..<200 { socket.emit("flood", .int(i)) }
        await LoopTimer.sleep(milliseconds: 20)
        #expect(reasons == [.transportError])
        #expect(!socket.isConnected)
        _ = client
    }

    @Test @LoopActor func sessionsThatNeverConnectToANamespaceAreClosed() async throws {
        let (app, sio) = makeServer { $0.connectTimeout = 100 }
        let open = try await app.respond(to: Request(method: "GET", target: "/socket.io/?EIO=4&transport=polling", headers: ["Host": "x"]))
        #expect(open.status == 200)
        #expect(sio.engine.sessionCount == 1)
        await LoopTimer.sleep(milliseconds: 250)
        #expect(sio.engine.sessionCount == 0)
    }

    @Test @LoopActor func allowRequestCookieAndSameOriginDefault() async throws {
        let (app, _) = makeServer {
            $0.engine.allowRequest = { request in request.headers["x-allowed"] == "yes" }
            $0.engine.cookie = EngineOptions.defaultCookie
        }
        let refused = try await app.respond(to: Request(method: "GET", target: "/socket.io/?EIO=4&transport=polling", headers: ["Host": "x"]))
        #expect(refused.status == 403)
        #expect(String(decoding: refused.bodyBytes, as: UTF8.self) == #"{"code":4,"message":"Forbidden"}"#)
        let accepted = try await app.respond(to: Request(
            method: "GET", target: "/socket.io/?EIO=4&transport=polling", headers: ["Host": "x", "X-Allowed": "yes"]))
        #expect(accepted.status == 200)
        let sid = try #require(try JSONValue.parse(Array(accepted.bodyBytes.dropFirst()))["sid"]?.stringValue)
        #expect(accepted.headers["set-cookie"] == "io=\(sid); Path=/; HttpOnly; SameSite=Lax")
        let crossOrigin = try await app.respond(to: Request(
            method: "GET", target: "/socket.io/?EIO=4&transport=polling",
            headers: ["Host": "x", "X-Allowed": "yes", "Origin": "https://evil.example"]))
        #expect(crossOrigin.status == 400)
        let sameOrigin = try await app.respond(to: Request(
            method: "GET", target: "/socket.io/?EIO=4&transport=polling",
            headers: ["Host": "x", "X-Allowed": "yes", "Origin": "http://x"]))
        #expect(sameOrigin.status == 200)
        #expect(sameOrigin.headers["access-control-allow-origin"] == "http://x")
    }

    @Test @LoopActor func badClientsLoseOnlyTheirOwnSession() async throws {
        let (app, sio) = makeServer()
        let good = try await SocketIOTestClient.connect(to: app)
        let bad = try await SocketIOTestClient.connect(to: app)
        let badTarget = "/socket.io/?EIO=4&transport=polling&sid=\(bad.engineID)"
        let response = try await app.respond(to: Request(method: "POST", target: badTarget, headers: ["Host": "x"], body: Array("42{}".utf8)))
        #expect(response.status == 200)   // the Engine.IO payload was fine; the Socket.IO packet was not
        await LoopTimer.sleep(milliseconds: 10)
        #expect(sio.engine.session(bad.engineID) == nil)
        #expect(try await good.emitWithAck("echo", ["still fine"]) == ["still fine"])
        await good.close()
    }

    @Test @LoopActor func everyNonEmptyLoopOfEventsIsHandledInOrder() async throws {
        let (app, sio) = makeServer()
        var seen: [Int] = []
        sio.on("n") { _, args in
            seen.append(args.first?.intValue ?? -1)
            return []
        }
        let client = try await SocketIOTestClient.connect(to: app)
        for i in 0..<300 { client.emit("n", [.int(i)]) }
        _ = try await client.emitWithAck("echo", [])
        #expect(seen == Array(0..<300))
        await client.close()
    }

    @Test @LoopActor func broadcastsCanCollectAcksFromManySockets() async throws {
        let (app, sio) = makeServer()
        let clients = [try await SocketIOTestClient.connect(to: app), try await SocketIOTestClient.connect(to: app),
                       try await SocketIOTestClient.connect(to: app)]
        clients[0].ackHandlers["vote"] = { _ in ["yes"] }
        clients[1].ackHandlers["vote"] = { _ in ["no"] }
        clients[2].unansweredEvents = ["vote"]
        let acks = await sio.main.all.emitWithAck("vote", arguments: ["?"], timeout: 200)
        #expect(acks.timedOut)
        #expect(acks.responses.sorted { $0.stringValue! < $1.stringValue! } == ["no", "yes"])
        clients[2].unansweredEvents = []
        clients[2].ackHandlers["vote"] = { _ in ["maybe"] }
        let all = await sio.main.all.emitWithAck("vote", arguments: ["?"], timeout: 5000)
        #expect(!all.timedOut)   // complete as soon as the third answer came
        #expect(Set(all.responses.compactMap(\.stringValue)) == ["yes", "no", "maybe"])
        for client in clients { await client.close() }
    }
}
