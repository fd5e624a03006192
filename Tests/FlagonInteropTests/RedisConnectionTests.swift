import FlagonLoop
import FlagonRedisAdapter
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
}
