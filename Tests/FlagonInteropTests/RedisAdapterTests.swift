import Flagon
import FlagonJSON
import FlagonLoop
import FlagonRedisAdapter
import FlagonSocketIO
import FlagonTesting
import Foundation
import Testing

/// Two Socket.IO servers in this process, each with its own link to one redis-server of
/// the test's own: what crosses the cluster, what times out, and what Redis faults do.
@Suite(.serialized) struct RedisAdapterTests {
    @LoopActor
    struct Node {
        let app: App
        let sio: SocketIOServer
        let cluster: RedisCluster

        static func start(redisPort: Int, id: String, configure: (inout RedisAdapterOptions) -> Void = { _ in }) async throws -> Node {
            var options = RedisAdapterOptions(url: "redis://127.0.0.1:\(redisPort)")
            options.serverID = id
            configure(&options)
            let cluster = try await RedisCluster.connect(options)
            let sio = SocketIOServer(adapter: cluster.makeAdapter)
            let app = App()
            sio.attach(to: app)
            sio.on("join") { (socket: Socket, room: String) -> Bool in
                socket.join(room)
                return true
            }
            return Node(app: app, sio: sio, cluster: cluster)
        }

        /// Connects a client and waits until the room subscriptions it caused reached Redis.
        func client() async throws -> SocketIOTestClient {
            let client = try await SocketIOTestClient.connect(to: app)
            await LoopTimer.sleep(milliseconds: 50)
            return client
        }
    }

    static let enabled = InteropTools.runnable(InteropTools.redis)

    /// With classic pub/sub, and with sharded pub/sub in each subscription mode.
    @Test(.enabled(if: enabled, "needs redis-server (scripts/setup --test)"), arguments: [nil] + RedisShardedMode.allCases.map { $0 })
    @LoopActor func acksFetchAndServerSideEmitCrossTheCluster(sharded: RedisShardedMode?) async throws {
        let redis = try await RedisServer.start()
        defer { RedisServer.stop(redis) }
        let a = try await Node.start(redisPort: redis.port, id: "A") { $0.sharded = sharded }
        let b = try await Node.start(redisPort: redis.port, id: "B") { $0.sharded = sharded }
        defer { a.cluster.close(); b.cluster.close() }
        let onA = try await a.client()
        let onB = try await b.client()
        onA.ackHandlers["vote"] = { _ in ["yes", "ignored second argument"] }
        onB.ackHandlers["vote"] = { _ in ["no"] }

        #expect(await a.sio.main.adapter.serverCount() == 2)
        let acks = await a.sio.main.all.emitWithAck("vote", arguments: ["lunch?"], timeout: 3000)
        #expect(!acks.timedOut)
        #expect(Set(acks.responses.compactMap(\.stringValue)) == ["yes", "no"])
        let localAcks = await a.sio.main.local.emitWithAck("vote", arguments: [], timeout: 3000)
        #expect(localAcks.responses == ["yes"] && !localAcks.timedOut)

        b.sio.main.onServerSideEmit("load") { (args: [JSONValue]) -> JSONValue in ["server": "B", "asked": args.first ?? .null] }
        var seenByA: [[JSONValue]] = []
        a.sio.main.onServerSideEmit("load") { (args: [JSONValue]) in seenByA.append(args) }
        let answers = await a.sio.main.serverSideEmitWithAck("load", arguments: [7], timeout: 2000)
        #expect(answers == ServerSideEmitAnswers(responses: [["server": "B", "asked": 7]], timedOut: false))
        #expect(seenByA.isEmpty)   // never the sending server

        let socketB = try #require(b.sio.main.sockets[onB.sids["/"]!])
        socketB.data = ["user": "bob"]
        socketB.join("lobby")
        await LoopTimer.sleep(milliseconds: 50)
        let fetched = await a.sio.main.to("lobby").fetchSockets()
        #expect(fetched.map(\.id) == [socketB.id])
        let remote = try #require(fetched.first)
        #expect(remote.data == ["user": "bob"] && remote.rooms == [socketB.id, "lobby"])
        #expect(remote.handshake["query"]?["transport"] == "polling" && remote.handshake["headers"]?["host"] == "localhost")
        #expect(await a.sio.main.fetchSockets().count == 2)
        #expect(await a.sio.main.local.fetchSockets().count == 1)

        // Broadcasts to a room, to one socket's own room and to everyone reach the other server.
        a.sio.main.to("lobby").emit("news", "to the lobby")
        a.sio.main.to(socketB.id).emit("news", "to bob alone")
        a.sio.main.except("nobody").emit("news", "to everyone")
        #expect(await onB.waitFor { events in events.filter { $0.name == "news" }.count == 3 })
        #expect(onB.received().filter { $0.name == "news" }.map { $0.arguments.first } == ["to the lobby", "to bob alone", "to everyone"])
        #expect(onA.received().filter { $0.name == "news" }.map { $0.arguments.first } == ["to everyone"])

        // A remote socket's operations reach it on its server.
        remote.emit("direct", "to bob")
        #expect(await onB.waitFor { $0.contains { $0.name == "direct" } })
        remote.join("vip")
        for _ in 0..<100 where !socketB.rooms.contains("vip") { await LoopTimer.sleep(milliseconds: 10) }
        #expect(socketB.rooms.contains("vip"))
        let redisAdapter = try #require(a.sio.main.adapter as? RedisAdapter)
        #expect(await redisAdapter.clusterRooms().isSuperset(of: ["lobby", "vip", socketB.id]))
        #expect(await redisAdapter.clusterSocketIDs(rooms: ["vip"]) == [socketB.id])
        remote.disconnect()
        #expect(await onB.waitFor { _ in onB.disconnectedByServer == ["/"] })
        await onA.close()
        await onB.close()
    }

    @Test(.enabled(if: enabled, "needs redis-server (scripts/setup --test)"))
    @LoopActor func requestsTimeOutWhenAServerDoesNotAnswer() async throws {
        let redis = try await RedisServer.start()
        defer { RedisServer.stop(redis) }
        let a = try await Node.start(redisPort: redis.port, id: "A") { $0.requestsTimeout = 300 }
        defer { a.cluster.close() }
        // Something subscribed to the request channel that never answers: a server that hangs.
        let silent = try await RedisConnection.connect(host: "127.0.0.1", port: redis.port)
        defer { silent.close() }
        try await silent.subscribe(RedisAdapterChannels(namespace: "/").request)
        let client = try await a.client()
        let started = EventLoop.shared.currentMilliseconds
        let sockets = await a.sio.main.fetchSockets()
        let waited = EventLoop.shared.currentMilliseconds - started
        #expect(sockets.count == 1)   // this server's, after the timeout
        #expect(waited >= 250 && waited < 3000)
        let answers = await a.sio.main.serverSideEmitWithAck("anyone", arguments: [])
        #expect(answers.timedOut && answers.responses.isEmpty)
        let acks = await a.sio.main.all.emitWithAck("vote", arguments: [], timeout: 300)
        #expect(acks.timedOut)   // the silent "server" never reports its client count
        await client.close()
    }

    @Test(.enabled(if: enabled, "needs redis-server (scripts/setup --test)"))
    @LoopActor func patternRoutingAndTargetedRoutingInteroperate() async throws {
        let redis = try await RedisServer.start()
        defer { RedisServer.stop(redis) }
        let targeted = try await Node.start(redisPort: redis.port, id: "T")
        let pattern = try await Node.start(redisPort: redis.port, id: "P") { $0.routing = .pattern }
        defer { targeted.cluster.close(); pattern.cluster.close() }
        let onT = try await targeted.client()
        let onP = try await pattern.client()
        #expect(try await onT.emitWithAck("join", ["room"]) == [true])
        #expect(try await onP.emitWithAck("join", ["room"]) == [true])
        await LoopTimer.sleep(milliseconds: 50)
        targeted.sio.to("room").emit("from-t", 1)
        pattern.sio.to("room").emit("from-p", 2)
        pattern.sio.to(onT.sids["/"]!).emit("private", 3)   // a socket's own room, across servers
        #expect(await onP.waitFor { $0.contains { $0.name == "from-t" } })
        #expect(await onT.waitFor { events in events.contains { $0.name == "from-p" } && events.contains { $0.name == "private" } })
        // A room with no member on the targeted server is not even received there.
        let before = targeted.cluster.statistics.received
        for i in 0..<50 { pattern.sio.to("elsewhere").emit("x", .int(i)) }
        await LoopTimer.sleep(milliseconds: 200)
        #expect(targeted.cluster.statistics.received == before)
        #expect(pattern.cluster.statistics.published >= 51)
        await onT.close()
        await onP.close()
        await LoopTimer.sleep(milliseconds: 50)
        // Only the namespace's own channels stay subscribed once its sockets are gone.
        #expect(targeted.cluster.subscribedChannelCount == 4)
    }

    @Test(.enabled(if: enabled, "needs redis-server (scripts/setup --test)"))
    @LoopActor func aStalledRedisNeverBlocksTheLoopAndPublishesAreBounded() async throws {
        let redis = try await RedisServer.start()
        defer {
            kill(redis.process.processIdentifier, SIGCONT)
            RedisServer.stop(redis)
        }
        let a = try await Node.start(redisPort: redis.port, id: "A") { $0.maxPendingCommands = 100 }
        defer { a.cluster.close() }
        let client = try await a.client()
        kill(redis.process.processIdentifier, SIGSTOP)
        let started = EventLoop.shared.currentMilliseconds
        for i in 0..<5000 { a.sio.emit("tick", .int(i)) }
        #expect(EventLoop.shared.currentMilliseconds - started < 2000)
        #expect(a.cluster.statistics.publishFailures >= 4900)   // at most 100 wait for Redis
        #expect(await client.waitFor { $0.filter { $0.name == "tick" }.count == 5000 })   // local delivery went on
        kill(redis.process.processIdentifier, SIGCONT)
        await LoopTimer.sleep(milliseconds: 300)
        let failures = a.cluster.statistics.publishFailures
        a.sio.emit("tick", 5000)
        #expect(a.cluster.statistics.publishFailures == failures)
        await client.close()
    }

    @Test(.enabled(if: enabled, "needs redis-server (scripts/setup --test)"))
    @LoopActor func startsAloneWhenAskedAndJoinsWhenRedisComes() async throws {
        let port = try TestPorts.reserve()
        var options = RedisAdapterOptions(url: "redis://127.0.0.1:\(port)")
        await #expect(throws: RedisClusterError.unreachable("redis://127.0.0.1:\(port)", "connect: ECONNREFUSED (connection refused)")) {
            _ = try await RedisCluster.connect(options)
        }
        await #expect(throws: RedisClusterError.self) { _ = try await RedisCluster.connect(RedisAdapterOptions(url: "http://x")) }
        options.startWithoutRedis = true
        options.maxReconnectDelay = 200
        let cluster = try await RedisCluster.connect(options)
        defer { cluster.close() }
        #expect(!cluster.isConnected)
        let redis = try await RedisServer.start(port: port)
        defer { RedisServer.stop(redis) }
        // Connected first, counted when the reconnecting task resumes: wait for both.
        for _ in 0..<300 where !cluster.isConnected || cluster.statistics.reconnections == 0 { await LoopTimer.sleep(milliseconds: 10) }
        #expect(cluster.isConnected)
        #expect(cluster.statistics.reconnections == 1)
    }

    @Test(.enabled(if: enabled, "needs redis-server (scripts/setup --test)"))
    @LoopActor func aDisconnectedSocketLeavesNothingBehind() async throws {
        let redis = try await RedisServer.start()
        defer { RedisServer.stop(redis) }
        let a = try await Node.start(redisPort: redis.port, id: "A")
        defer { a.cluster.close() }
        let baseline = a.cluster.subscribedChannelCount
        weak var weakSocket: Socket?
        for _ in 0..<5 {
            let client = try await a.client()
            #expect(try await client.emitWithAck("join", ["room"]) == [true])
            weakSocket = a.sio.main.sockets[client.sids["/"]!]
            #expect(weakSocket != nil)
            await client.close()
            for _ in 0..<100 where !a.sio.main.sockets.isEmpty { await LoopTimer.sleep(milliseconds: 10) }
        }
        await LoopTimer.sleep(milliseconds: 50)
        #expect(weakSocket == nil)
        #expect(a.cluster.subscribedChannelCount == baseline)
    }

    @Test(.enabled(if: enabled, "needs redis-server (scripts/setup --test)"))
    @LoopActor func malformedMessagesAreCountedAndIgnored() async throws {
        let redis = try await RedisServer.start()
        defer { RedisServer.stop(redis) }
        let a = try await Node.start(redisPort: redis.port, id: "A")
        defer { a.cluster.close() }
        let client = try await a.client()
        #expect(try await client.emitWithAck("join", ["room"]) == [true])
        await LoopTimer.sleep(milliseconds: 50)
        let publisher = try await RedisConnection.connect(host: "127.0.0.1", port: redis.port)
        defer { publisher.close() }
        let channels = RedisAdapterChannels(namespace: "/")
        let garbage: [[UInt8]] = [[0xc1], Array("{nope".utf8), Array(#"{"type":4,"opts":{"rooms":7}}"#.utf8), [0x93, 0x01, 0x80, 0x80],
                                  Array(#"{"type":99}"#.utf8)]
        for channel in [channels.broadcast, channels.room("room"), channels.request, channels.response] {
            for payload in garbage { _ = try await publisher.command([Array("PUBLISH".utf8), Array(channel.utf8), payload]) }
        }
        for _ in 0..<100 where a.cluster.statistics.ignoredMessages < 20 { await LoopTimer.sleep(milliseconds: 10) }
        #expect(a.cluster.statistics.ignoredMessages == 20)
        #expect(a.sio.main.sockets.count == 1 && client.received().isEmpty && !client.isClosed)
        await client.close()
    }

    /// What this adapter and the emitter publish, captured on Redis: the Node adapter's and
    /// the Node emitter's bytes.
    @Test(.enabled(if: enabled, "needs redis-server (scripts/setup --test)"))
    @LoopActor func whatFlagonPublishesIsWhatNodePublishes() async throws {
        let redis = try await RedisServer.start()
        defer { RedisServer.stop(redis) }
        let spy = try await RedisConnection.connect(host: "127.0.0.1", port: redis.port)
        defer { spy.close() }
        var captured: [(String, String)] = []
        spy.onMessage = { message in
            let text = message.payload.first == UInt8(ascii: "{")
                ? String(decoding: message.payload, as: UTF8.self) : message.payload.map { String($0, radix: 16).leftPadded(2) }.joined()
            captured.append((message.channel, text))
        }
        try await spy.subscribe(pattern: "socket.io*")
        let a = try await Node.start(redisPort: redis.port, id: "Fz3Ch9")
        defer { a.cluster.close() }
        let chat = a.sio.of("/chat")
        chat.to("lobby").except("muted").emit("news", "hi")
        chat.to("lobby").socketsJoin("b")
        chat.to("lobby").socketsLeave("b")
        chat.to("lobby").disconnectSockets(close: true)
        chat.serverSideEmit("hello", ["n": 1])
        let emitter = try await RedisEmitter.connect(url: "redis://127.0.0.1:\(redis.port)")
        emitter.of("/chat").to("lobby").except("muted").emit("news", "hi")
        emitter.of("/chat").to("lobby").socketsJoin("b")
        await emitter.flush()
        emitter.close()
        for _ in 0..<100 where captured.count < 7 { await LoopTimer.sleep(milliseconds: 10) }
        let expected: [(String, String)] = [
            ("socket.io#/chat#lobby#",
             "93a6467a3343683983a47479706502a46461746192a46e657773a26869a36e7370a52f6368617483a5726f6f6d7391a56c6f626279"
                + "a665786365707491a56d75746564a5666c61677380"),
            ("socket.io-request#/chat#", #"{"uid":"Fz3Ch9","type":2,"opts":{"rooms":["lobby"],"except":[]},"rooms":["b"]}"#),
            ("socket.io-request#/chat#", #"{"uid":"Fz3Ch9","type":3,"opts":{"rooms":["lobby"],"except":[]},"rooms":["b"]}"#),
            ("socket.io-request#/chat#", #"{"uid":"Fz3Ch9","type":4,"opts":{"rooms":["lobby"],"except":[]},"close":true}"#),
            ("socket.io-request#/chat#", #"{"uid":"Fz3Ch9","type":6,"data":["hello",{"n":1}]}"#),
            ("socket.io#/chat#lobby#",
             "93a7656d697474657283a47479706502a46461746192a46e657773a26869a36e7370a52f6368617483a5726f6f6d7391a56c6f626279"
                + "a5666c61677380a665786365707491a56d75746564"),
            ("socket.io-request#/chat#", #"{"type":2,"opts":{"rooms":["lobby"],"except":[]},"rooms":["b"]}"#),
        ]
        #expect(captured.count == expected.count)
        for (got, want) in zip(captured, expected) {
            #expect(got.0 == want.0)
            #expect(got.1 == want.1)
        }
    }
}

extension RedisAdapterTests {
    /// With sharded pub/sub (dynamic), what reaches a real redis-server is what Node's
    /// `createShardedAdapter` publishes, on the channels it uses.
    @Test(.enabled(if: enabled, "needs redis-server (scripts/setup --test)"))
    @LoopActor func whatFlagonPublishesShardedIsWhatNodePublishes() async throws {
        let redis = try await RedisServer.start()
        defer { RedisServer.stop(redis) }
        let spy = try await RedisConnection.connect(host: "127.0.0.1", port: redis.port)
        defer { spy.close() }
        var captured: [(String, String)] = []
        spy.onMessage = { message in captured.append((message.channel, String(decoding: message.payload, as: UTF8.self))) }
        for channel in ["socket.io#/chat#", "socket.io#/chat#lobby#"] { _ = try await spy.command("SSUBSCRIBE", channel) }
        let a = try await Node.start(redisPort: redis.port, id: "Fz3Ch9") { $0.sharded = .dynamic }
        defer { a.cluster.close() }
        let chat = a.sio.of("/chat")
        chat.to("lobby").except("muted").emit("news", "hi")
        chat.to("lobby").socketsJoin("b")
        chat.to("lobby").disconnectSockets(close: true)
        chat.serverSideEmit("hello", ["n": 1])
        for _ in 0..<100 where captured.count < 4 { await LoopTimer.sleep(milliseconds: 10) }
        let opts = #""opts":{"rooms":["lobby"],"except":[],"flags":{}}"#
        let expected: [(String, String)] = [
            ("socket.io#/chat#lobby#",
             #"{"type":3,"data":{"packet":{"type":2,"data":["news","hi"],"nsp":"/chat"},"opts":{"rooms":["lobby"],"except":["muted"],"flags":{}}},"uid":"Fz3Ch9","nsp":"/chat"}"#),
            ("socket.io#/chat#", #"{"type":4,"data":{\#(opts),"rooms":["b"]},"uid":"Fz3Ch9","nsp":"/chat"}"#),
            ("socket.io#/chat#", #"{"type":6,"data":{\#(opts),"close":true},"uid":"Fz3Ch9","nsp":"/chat"}"#),
            ("socket.io#/chat#", #"{"type":9,"data":{"packet":["hello",{"n":1}]},"uid":"Fz3Ch9","nsp":"/chat"}"#),
        ]
        #expect(captured.count == expected.count)
        for (got, want) in zip(captured, expected) {
            #expect(got.0 == want.0)
            #expect(got.1 == want.1)
        }
        // The servers of a namespace are the subscribers of its main shard channel (the spy is one).
        #expect(await chat.adapter.serverCount() == 2)
    }

    /// Sharded pub/sub survives a Redis restart: both servers subscribe again to their shard
    /// channels (the room's too) and a room broadcast crosses again; the clients stay connected.
    @Test(.enabled(if: enabled, "needs redis-server (scripts/setup --test)"))
    @LoopActor func shardedSubscriptionsSurviveARedisRestart() async throws {
        var redis = try await RedisServer.start()
        let port = redis.port
        defer { RedisServer.stop(redis) }
        let configure: (inout RedisAdapterOptions) -> Void = { options in
            options.sharded = .dynamic
            options.maxReconnectDelay = 200
        }
        let a = try await Node.start(redisPort: port, id: "A", configure: configure)
        let b = try await Node.start(redisPort: port, id: "B", configure: configure)
        defer { a.cluster.close(); b.cluster.close() }
        let onB = try await b.client()
        #expect(try await onB.emitWithAck("join", ["lobby"]) == [true])
        RedisServer.stop(redis)
        for _ in 0..<300 where a.cluster.isConnected || b.cluster.isConnected { await LoopTimer.sleep(milliseconds: 10) }
        redis = try await RedisServer.start(port: port)
        for _ in 0..<500 where !(a.cluster.isConnected && b.cluster.isConnected) { await LoopTimer.sleep(milliseconds: 10) }
        #expect(a.cluster.isConnected && b.cluster.isConnected)
        await LoopTimer.sleep(milliseconds: 100)   // the subscriptions reach Redis
        a.sio.main.to("lobby").emit("news", "after the restart")
        #expect(await onB.waitFor { $0.contains { $0.name == "news" } })
        #expect(await a.sio.main.adapter.serverCount() == 2)
        await onB.close()
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
