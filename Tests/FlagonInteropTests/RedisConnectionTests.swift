import Foundation
import FlagonLoop
import FlagonRedisAdapter
import FlagonSocketIO
import Testing

/// The RESP connection against a real redis-server of the test's own.
@Suite(.serialized) struct RedisConnectionTests {
    @Test(.enabled(if: InteropTools.runnable(InteropTools.redis), "needs redis-server (scripts/setup --test)"))
    @LoopActor func commandsPublishAndSubscribe() async throws {
        let server = try await RedisServer.start()
        defer { RedisServer.stop(server) }
        let commands = try await RedisConnection.connect(host: "127.0.0.1", port: server.port)
        let subscriber = try await RedisConnection.connect(host: "127.0.0.1", port: server.port)
        #expect(try await commands.command("PING") == .simpleString("PONG"))
        #expect(try await commands.command("SET", "k", "v") == .simpleString("OK"))
        #expect(try await commands.command("GET", "k").text == "v")
        #expect(try await commands.command("GET", "missing") == .bulkString(nil))
        await #expect(throws: RedisConnection.Failure.self) { try await commands.command("NOSUCHCOMMAND") }

        var messages: [RedisConnection.Message] = []
        subscriber.onMessage = { messages.append($0) }
        let channels = RedisAdapterChannels(namespace: "/chat")
        try await subscriber.subscribe(channels.request)
        try await subscriber.subscribe(pattern: channels.broadcastPattern)
        let numsub = try await commands.command("PUBSUB", "NUMSUB", channels.request)
        #expect(numsub.elements?.last?.integer == 1)

        let broadcast = RedisBroadcast(uid: "Fz3Ch9", packet: .init(type: .event, namespace: "/chat", data: ["say", .binary([0, 13, 10])]),
                                       rooms: ["lobby"])
        #expect(try await commands.command([Array("PUBLISH".utf8), Array(broadcast.channel(in: channels).utf8), broadcast.encoded()])
            == .integer(1))
        #expect(try await commands.command("PUBLISH", channels.request, #"{"uid":"x","type":1,"requestId":"r"}"#) == .integer(1))
        for _ in 0..<200 where messages.count < 2 { await LoopTimer.sleep(milliseconds: 10) }
        #expect(messages.count == 2)
        #expect(messages.first?.channel == "socket.io#/chat#lobby#" && messages.first?.pattern == "socket.io#/chat#*")
        #expect(try messages.first.map { try RedisBroadcast.decode($0.payload) } == broadcast)
        #expect(try messages.last.map { try RedisAdapterMessage.decode($0.payload).type } == .allRooms)

        // A server that goes away fails what waits and tells the owner.
        var closed = false
        commands.onClose = { closed = true }
        await Task.detached { RedisServer.stop(server) }.value   // waiting for the process must not block the loop
        for _ in 0..<200 where !closed { await LoopTimer.sleep(milliseconds: 10) }
        #expect(closed && !commands.isOpen)
        await #expect(throws: RedisConnection.Failure.closed) { try await commands.command("PING") }
        subscriber.close()
    }

    /// A Redis that requires an ACL user, reached by name, on database 3: the cluster logs
    /// in, publishes, and the recovery store's keys are on database 3 only.
    @Test(.enabled(if: InteropTools.runnable(InteropTools.redis), "needs redis-server (scripts/setup --test)"))
    @LoopActor func anACLUserADatabaseAndAHostName() async throws {
        let server = try await RedisServer.start(arguments: ["--user", "default", "off", "--user", "app", "on", ">s3cret", "~*", "&*", "+@all"])
        defer { RedisServer.stop(server) }
        var options = RedisAdapterOptions(url: "redis://app:s3cret@localhost:\(server.port)/3")
        options.serverID = "acl"
        let cluster = try await RedisCluster.connect(options)
        #expect(cluster.isConnected)
        let store = RedisConnectionStateStore(cluster: cluster, settings: ConnectionStateRecovery())
        store.save(SocketState(id: "sid", pid: "pid-1", namespace: "/", rooms: ["r"], data: .null), connected: false)
        #expect(await cluster.flush())
        // Another connection, as the same user: the key is on database 3, not on 0.
        let probe = try await RedisEndpoint(url: "redis://app:s3cret@localhost:\(server.port)").open()
        #expect(try await probe.command("DBSIZE") == .integer(0))
        _ = try await probe.command("SELECT", "3")
        let size = try await probe.command("DBSIZE")
        #expect((size.integer ?? 0) >= 1)
        probe.close()
        cluster.close()

        // A wrong password or a user Redis does not know: refused at start, the password in no message.
        for url in ["redis://app:wrong@127.0.0.1:\(server.port)", "redis://nobody:s3cret@127.0.0.1:\(server.port)",
                    "redis://127.0.0.1:\(server.port)"] {
            do {
                _ = try await RedisCluster.connect(RedisAdapterOptions(url: url))
                Issue.record("\(url) was accepted")
            } catch {
                #expect(!"\(error)".contains("s3cret") && !"\(error)".contains("wrong"), "\(error)")
            }
        }
        // A name that does not resolve: refused, saying so.
        do {
            _ = try await RedisCluster.connect(RedisAdapterOptions(url: "redis://no-such-host.invalid:\(server.port)"))
            Issue.record("an unknown host was accepted")
        } catch {
            #expect("\(error)".contains("cannot resolve no-such-host.invalid"))
        }
    }

    /// A Redis that goes silent (stopped: the TCP connections stay open, nothing answers) is
    /// noticed within 10 s; meanwhile a restore returns a fresh session at once and the
    /// emitter drops and counts; both reconnect by themselves when it answers again.
    @Test(.enabled(if: InteropTools.runnable(InteropTools.redis), "needs redis-server (scripts/setup --test)"))
    @LoopActor func aSilentRedisIsNoticedAndLeftAndJoinedAgain() async throws {
        let server = try await RedisServer.start()
        defer {
            kill(server.process.processIdentifier, SIGCONT)
            RedisServer.stop(server)
        }
        let url = "redis://127.0.0.1:\(server.port)"
        let cluster = try await RedisCluster.connect(RedisAdapterOptions(url: url))
        let emitter = try await RedisEmitter.connect(url: url)
        let store = RedisConnectionStateStore(cluster: cluster, settings: ConnectionStateRecovery())
        #expect(cluster.isConnected && emitter.isConnected)

        kill(server.process.processIdentifier, SIGSTOP)
        let stopped = EventLoop.shared.nowMilliseconds
        while cluster.isConnected && EventLoop.shared.nowMilliseconds - stopped < 15_000 { await LoopTimer.sleep(milliseconds: 100) }
        let noticed = EventLoop.shared.nowMilliseconds - stopped
        #expect(!cluster.isConnected)
        #expect(noticed <= 10_000, "noticed after \(noticed) ms")
        let asked = EventLoop.shared.nowMilliseconds
        #expect(await store.restore(pid: "pid", offset: "0-0", namespace: "/") == nil)
        #expect(EventLoop.shared.nowMilliseconds - asked < 1000)
        while emitter.isConnected && EventLoop.shared.nowMilliseconds - stopped < 15_000 { await LoopTimer.sleep(milliseconds: 100) }
        #expect(!emitter.emit("lost", "while away"))
        #expect(emitter.dropped >= 1)

        kill(server.process.processIdentifier, SIGCONT)
        let resumed = EventLoop.shared.nowMilliseconds
        while !(cluster.isConnected && emitter.isConnected) && EventLoop.shared.nowMilliseconds - resumed < 15_000 {
            await LoopTimer.sleep(milliseconds: 100)
        }
        #expect(cluster.isConnected && emitter.isConnected)
        #expect(cluster.statistics.reconnections >= 1 && emitter.reconnections >= 1)
        #expect(emitter.emit("back", "again"))
        emitter.close()
        cluster.close()
    }
}
