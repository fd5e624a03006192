import Flagon
import FlagonJSON
import FlagonLoop
import FlagonTesting
import Testing
@testable import FlagonSocketIO

/// Connection state recovery on the wire (as socket.io 4.6+ does it), against a live server
/// on 127.0.0.1, and the in-memory store's bounds with a manual clock.
@Suite struct RecoveryTests {
    @LoopActor private func start(_ recovery: ConnectionStateRecovery = ConnectionStateRecovery())
        throws -> (Server, Int, SocketIOServer) {
        var options = SocketIOOptions()
        options.engine.pingInterval = 60_000
        options.connectionStateRecovery = recovery
        let sio = SocketIOServer(options: options)
        let chat = sio.of("/chat")
        chat.use { socket, _ in
            // Middleware runs for fresh sockets only (skipMiddlewares).
            socket.data = ["middleware": true]
        }
        chat.onConnect { socket, _ in
            if !socket.recovered { socket.data = ["user": "ann", "middleware": socket.data["middleware"] ?? false] }
        }
        chat.on("join") { (socket: Socket, room: String) -> Bool in
            socket.join(room)
            return true
        }
        chat.on("emit-to") { (_: Socket, room: String, event: String, data: JSONValue) -> Bool in
            chat.to(room).emit(event, data)
            return true
        }
        chat.on("whoami") { (socket: Socket) -> JSONValue in
            ["sid": .string(socket.id), "recovered": .bool(socket.recovered), "data": socket.data,
             "rooms": .array(socket.rooms.sorted().map(JSONValue.string)), "credentials": socket.credentials?.json ?? .null]
        }
        chat.on("grant") { (socket: Socket, milliseconds: Int) -> Bool in
            socket.grantCredentials(.valid(for: milliseconds, scopes: ["chat"]))
            return true
        }
        let app = App()
        sio.attach(to: app)
        let (server, port) = try Server.startOnLoopback(app)
        return (server, port, sio)
    }

    /// A WebSocket client connected to /chat with `auth`; returns it with the CONNECT reply.
    @LoopActor private func connect(_ port: Int, auth: String? = nil) async throws -> (WebSocketTestClient, JSONValue) {
        let ws = try await WebSocketTestClient.connect(port: port, path: "/socket.io/?EIO=4&transport=websocket")
        #expect(await ws.waitForText { $0.hasPrefix("0{") } != nil)
        ws.send(text: "40/chat," + (auth ?? ""))
        let reply = try #require(await ws.waitForText { $0.hasPrefix("40/chat,") })
        return (ws, try JSONValue.parse(Array(reply.dropFirst("40/chat,".count).utf8)))
    }

    /// Sends an acked event and returns the ack's arguments.
    @LoopActor private func call(_ ws: WebSocketTestClient, _ id: Int, _ body: String) async throws -> JSONValue {
        ws.send(text: "42/chat,\(id)\(body)")
        let ack = try #require(await ws.waitForText { $0.hasPrefix("43/chat,\(id)[") })
        return try JSONValue.parse(Array(ack.dropFirst("43/chat,\(id)".count).utf8))
    }

    /// The arguments of the next `event` received.
    @LoopActor private func next(_ ws: WebSocketTestClient, _ event: String) async throws -> [JSONValue] {
        let text = try #require(await ws.waitForText { $0.hasPrefix("42/chat,[\"\(event)\"") })
        guard case .array(let items) = try JSONValue.parse(Array(text.dropFirst("42/chat,".count).utf8)) else { return [] }
        return Array(items.dropFirst())
    }

    @Test @LoopActor func aDroppedClientRecoversItsIdRoomsDataAndMissedBroadcastsInOrder() async throws {
        let (server, port, _) = try start()
        let (client, hello) = try await connect(port)
        let sid = try #require(hello["sid"]?.stringValue)
        let pid = try #require(hello["pid"]?.stringValue)
        let (other, _) = try await connect(port)
        #expect(try await call(client, 1, #"["join","room"]"#) == [true])
        #expect(try await call(other, 1, #"["emit-to","room","news",1]"#) == [true])
        let first = try await next(client, "news")
        #expect(first.count == 2 && first[0] == 1)
        let offset = try #require(first[1].stringValue)   // the offset, as one extra, last argument

        client.drop()   // the TCP connection ends without a DISCONNECT
        await LoopTimer.sleep(milliseconds: 50)
        #expect(try await call(other, 2, #"["emit-to","room","news",2]"#) == [true])
        #expect(try await call(other, 3, #"["emit-to","room","news",3]"#) == [true])
        #expect(try await call(other, 4, #"["emit-to","elsewhere","news",99]"#) == [true])

        let (back, again) = try await connect(port, auth: #"{"pid":"\#(pid)","offset":"\#(offset)","token":"x"}"#)
        #expect(again["sid"]?.stringValue == sid)
        #expect(again["pid"]?.stringValue == pid)
        let missed2 = try await next(back, "news")
        let missed3 = try await next(back, "news")
        #expect(missed2.first == 2 && missed3.first == 3)   // in order, and not the other room's
        let state = try await call(back, 1, #"["whoami"]"#)
        #expect(state[0]?["recovered"] == true)
        #expect(state[0]?["data"] == ["user": "ann", "middleware": true])   // restored; the middleware did not run again
        #expect(state[0]?["rooms"] == .array([.string("room"), .string(sid)].sorted { $0.stringValue! < $1.stringValue! }))
        #expect(try await call(other, 5, #"["emit-to","room","news",4]"#) == [true])
        #expect(try await next(back, "news").first == 4)   // still in the room
        back.close()
        other.close()
        await server.shutdown()
    }

    @Test @LoopActor func aRecoveredSocketKeepsItsCredentialsAndTheirExpiry() async throws {
        let (server, port, _) = try start()
        let (client, hello) = try await connect(port)
        let pid = try #require(hello["pid"]?.stringValue)
        #expect(try await call(client, 1, #"["join","room"]"#) == [true])
        #expect(try await call(client, 2, #"["grant",700]"#) == [true])
        let granted = try #require(try await call(client, 3, #"["whoami"]"#)[0]?["credentials"])
        #expect(granted["scopes"] == ["chat"])
        #expect(try await call(client, 4, #"["emit-to","room","news",1]"#) == [true])
        let offset = try #require(try await next(client, "news").last?.stringValue)
        client.drop()
        await LoopTimer.sleep(milliseconds: 50)
        let (back, _) = try await connect(port, auth: #"{"pid":"\#(pid)","offset":"\#(offset)"}"#)
        let state = try await call(back, 1, #"["whoami"]"#)
        #expect(state[0]?["recovered"] == true)
        #expect(state[0]?["credentials"] == granted)   // the same expiry, not a fresh one
        // And it still expires, on the new connection.
        #expect(await back.waitForText(timeout: 2000) { $0.hasPrefix(#"42/chat,["credentials_expired""#) } != nil)
        back.close()
        await server.shutdown()
    }

    @Test @LoopActor func unknownPidsExplicitDisconnectsAndOldOffsetsGetFreshSessions() async throws {
        let (server, port, _) = try start(ConnectionStateRecovery(maxPackets: 2))
        let (other, _) = try await connect(port)

        // An unknown pid.
        let (stranger, fresh) = try await connect(port, auth: #"{"pid":"nobody","offset":"x-1"}"#)
        #expect(fresh["sid"] != nil && fresh["pid"]?.stringValue != "nobody")
        #expect(try await call(stranger, 1, #"["whoami"]"#)[0]?["recovered"] == false)
        stranger.close()

        // `41` first: an explicit disconnect is never recovered.
        let (leaving, hello) = try await connect(port)
        #expect(try await call(leaving, 1, #"["join","room"]"#) == [true])
        #expect(try await call(other, 1, #"["emit-to","room","news",1]"#) == [true])
        let offset = try #require(try await next(leaving, "news").last?.stringValue)
        leaving.send(text: "41/chat,")
        await LoopTimer.sleep(milliseconds: 50)
        leaving.drop()
        let (back, again) = try await connect(port, auth: #"{"pid":"\#(hello["pid"]!.stringValue!)","offset":"\#(offset)"}"#)
        #expect(again["sid"] != hello["sid"])
        back.close()

        // An offset that fell off the log (2 packets kept, 3 sent while away).
        let (dropped, first) = try await connect(port)
        #expect(try await call(dropped, 1, #"["join","room"]"#) == [true])
        #expect(try await call(other, 2, #"["emit-to","room","news",1]"#) == [true])
        let old = try #require(try await next(dropped, "news").last?.stringValue)
        dropped.drop()
        await LoopTimer.sleep(milliseconds: 50)
        for n in 3...5 { #expect(try await call(other, n, #"["emit-to","room","news",\#(n)]"#) == [true]) }
        let (late, reply) = try await connect(port, auth: #"{"pid":"\#(first["pid"]!.stringValue!)","offset":"\#(old)"}"#)
        #expect(reply["sid"] != first["sid"])   // a fresh session, never a partial replay
        #expect(try await call(late, 1, #"["whoami"]"#)[0]?["recovered"] == false)
        late.close()
        other.close()
        await server.shutdown()
    }

    @Test @LoopActor func broadcastsCarryOffsetsButDirectAckedAndVolatileEmitsDoNot() async throws {
        let (server, port, sio) = try start()
        let (client, hello) = try await connect(port)
        let socket = try #require(sio.of("/chat").sockets[hello["sid"]!.stringValue!])
        socket.emit("direct", 1)
        sio.of("/chat").volatile.emit("fleeting", 2)
        sio.of("/chat").emit("everyone", 3)
        #expect(try await next(client, "direct") == [1])
        #expect(try await next(client, "fleeting") == [2])
        let everyone = try await next(client, "everyone")
        #expect(everyone.count == 2 && everyone[1].stringValue != nil)
        client.close()
        await server.shutdown()
    }

    // MARK: The in-memory store

    private final class ManualClock: @unchecked Sendable {
        var now: UInt64 = 1_000
    }

    @LoopActor private func record(_ store: InMemoryConnectionStateStore, _ n: Int, rooms: Set<String> = [], except: Set<String> = [],
                                   namespace: String = "/") -> String {
        var offset = ""
        store.record(SocketIOPacket(type: .event, namespace: namespace, data: ["n", .int(n)]),
                     target: BroadcastTarget(rooms: rooms, except: except)) { offset = $0.arguments.last?.stringValue ?? "" }
        return offset
    }

    @Test @LoopActor func theStoreReplaysInOrderWhatTheRoomsReceivedAndOnlyOnce() async {
        let clock = ManualClock()
        let store = InMemoryConnectionStateStore(settings: ConnectionStateRecovery()) { clock.now }
        let start = record(store, 0)
        store.save(SocketState(id: "s1", pid: "p1", namespace: "/", rooms: ["a"], data: ["k": 1]), connected: false)
        _ = record(store, 1, rooms: ["a"])
        _ = record(store, 2, rooms: ["b"])
        _ = record(store, 3)
        _ = record(store, 4, rooms: ["a"], except: ["a"])
        _ = record(store, 5, rooms: ["s1"])   // its own room
        _ = record(store, 6, namespace: "/other")
        _ = record(store, 7, except: ["b"])
        let restored = await store.restore(pid: "p1", offset: start, namespace: "/")
        #expect(restored?.state == SocketState(id: "s1", pid: "p1", namespace: "/", rooms: ["a"], data: ["k": 1]))
        #expect(restored?.missedPackets.map { $0.arguments.first } == [1, 3, 5, 7])
        #expect(await store.restore(pid: "p1", offset: start, namespace: "/") == nil)   // at most once
        store.save(SocketState(id: "s2", pid: "p2", namespace: "/", rooms: [], data: nil), connected: true)
        #expect(store.sessionCount == 0)   // a connected socket's state dies with the process here
    }

    @Test @LoopActor func theStoreForgetsWhatIsExpiredOrOverItsBounds() async {
        let clock = ManualClock()
        let store = InMemoryConnectionStateStore(settings: ConnectionStateRecovery(maxDisconnectionDuration: 1000, maxPackets: 3,
                                                                                     maxBytes: 1 << 20, maxSessions: 2)) { clock.now }
        // Expiry of sessions.
        let offset = record(store, 0)
        store.save(SocketState(id: "s1", pid: "p1", namespace: "/", rooms: [], data: nil), connected: false)
        clock.now += 1001
        #expect(await store.restore(pid: "p1", offset: offset, namespace: "/") == nil)
        // Packets: at most 3 kept, and none older than the window.
        let first = record(store, 1)
        let second = record(store, 2)
        for n in 3...5 { _ = record(store, n) }
        #expect(store.packetCount == 3)
        store.save(SocketState(id: "s2", pid: "p2", namespace: "/", rooms: [], data: nil), connected: false)
        #expect(await store.restore(pid: "p2", offset: first, namespace: "/") == nil)   // 2 fell off the log
        store.save(SocketState(id: "s2", pid: "p2", namespace: "/", rooms: [], data: nil), connected: false)
        #expect(await store.restore(pid: "p2", offset: second, namespace: "/")?.missedPackets.map { $0.arguments.first } == [3, 4, 5])
        store.save(SocketState(id: "s3", pid: "p3", namespace: "/", rooms: [], data: nil), connected: false)
        let last = record(store, 5)
        #expect(await store.restore(pid: "p3", offset: last, namespace: "/")?.missedPackets.isEmpty == true)
        clock.now += 1001
        _ = record(store, 6)
        #expect(store.packetCount == 1)
        // Sessions: at most 2, the oldest goes first.
        for n in 1...3 { store.save(SocketState(id: "s\(n)", pid: "q\(n)", namespace: "/", rooms: [], data: nil), connected: false) }
        #expect(store.sessionCount == 2)
        let now = record(store, 7)
        #expect(await store.restore(pid: "q1", offset: now, namespace: "/") == nil)
        #expect(await store.restore(pid: "q3", offset: now, namespace: "/") != nil)
        // Bytes.
        let small = InMemoryConnectionStateStore(settings: ConnectionStateRecovery(maxBytes: 1000)) { clock.now }
        for n in 0..<100 { _ = record(small, n) }
        #expect(small.byteCount <= 1000 && small.packetCount < 100 && small.packetCount > 0)
        // An offset of another store (another process, an earlier run) is not in this log.
        store.save(SocketState(id: "s9", pid: "p9", namespace: "/", rooms: [], data: nil), connected: false)
        #expect(await store.restore(pid: "p9", offset: record(small, 1), namespace: "/") == nil)
    }
}
