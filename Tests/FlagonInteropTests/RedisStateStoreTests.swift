import Foundation
import Flagon
import FlagonTesting
import FlagonJSON
import FlagonLoop
import FlagonRedisAdapter
import FlagonSocketIO
import FlagonSocketIOCore
import Testing

/// The Redis connection state store against a real redis-server: a broadcast is sent at
/// once with an offset the server made, replay follows the rooms and the order, a state is restored once, a connected state
/// lives longer than a disconnected one, and an offset that fell off the stream gives a
/// fresh session.
@Suite(.serialized) struct RedisStateStoreTests {
    @LoopActor private func record(_ store: RedisConnectionStateStore, _ n: Int, rooms: Set<String> = [], except: Set<String> = [],
                                   namespace: String = "/") async -> String {
        await withCheckedContinuation { continuation in
            store.record(SocketIOPacket(type: .event, namespace: namespace, data: ["n", .int(n)]),
                         target: BroadcastTarget(rooms: rooms, except: except)) {
                continuation.resume(returning: $0.arguments.last?.stringValue ?? "")
            }
        }
    }

    @Test(.enabled(if: InteropTools.runnable(InteropTools.redis), "needs redis-server (scripts/setup --test)"))
    @LoopActor func statesAndBroadcastsLiveInRedis() async throws {
        let redis = try await RedisServer.start()
        defer { RedisServer.stop(redis) }
        let cluster = try await RedisCluster.connect(RedisAdapterOptions(url: "redis://127.0.0.1:\(redis.port)"))
        defer { cluster.close() }
        let store = RedisConnectionStateStore(cluster: cluster, settings: ConnectionStateRecovery(maxDisconnectionDuration: 60_000, maxPackets: 50))
        let start = await record(store, 0)
        #expect(start.contains("-"))   // this store's prefix and a counter
        store.save(SocketState(id: "s1", pid: "p1", namespace: "/", rooms: ["a"], data: ["k": 1]), connected: false)
        _ = await record(store, 1, rooms: ["a"])
        _ = await record(store, 2, rooms: ["b"])
        _ = await record(store, 3)
        _ = await record(store, 4, rooms: ["a"], except: ["a"])
        _ = await record(store, 5, rooms: ["s1"])
        _ = await record(store, 6, namespace: "/other")
        let restored = await store.restore(pid: "p1", offset: start, namespace: "/")
        #expect(restored?.state == SocketState(id: "s1", pid: "p1", namespace: "/", rooms: ["a"], data: ["k": 1]))
        #expect(restored?.missedPackets.map { $0.arguments.first } == [1, 3, 5])
        #expect(restored?.missedPackets.allSatisfy { $0.arguments.last?.stringValue?.contains("-") == true } == true)
        #expect(await store.restore(pid: "p1", offset: start, namespace: "/") == nil)   // once

        // Lifetimes: a disconnected state lives the window, a connected one half a window more.
        let probe = try await RedisConnection.connect(host: "127.0.0.1", port: redis.port)
        defer { probe.close() }
        store.save(SocketState(id: "s2", pid: "p2", namespace: "/", rooms: [], data: nil), connected: false)
        store.save(SocketState(id: "s3", pid: "p3", namespace: "/", rooms: [], data: nil), connected: true)
        _ = await cluster.flush()
        let disconnected = try await probe.command("PTTL", "socket.io-session#p2").integer ?? 0
        let connected = try await probe.command("PTTL", "socket.io-session#p3").integer ?? 0
        // Read back some time after they were set (seconds, on a loaded machine): compared
        // with each other, not with the moment they were set.
        #expect(disconnected > 45_000 && disconnected <= 60_000)
        #expect(connected <= 90_000 && connected - disconnected > 25_000 && connected - disconnected <= 30_000)
        store.discard(pid: "p3")   // an explicit disconnect
        _ = await cluster.flush()
        #expect(try await probe.command("EXISTS", "socket.io-session#p3") == .integer(0))

        // An offset that fell off the stream (MAXLEN ~ 50 after 300 more): a fresh session.
        let old = await record(store, 100)
        for n in 0..<300 { store.record(SocketIOPacket(type: .event, namespace: "/", data: ["n", .int(n)]), target: BroadcastTarget()) { _ in } }
        let last = await record(store, 400)
        store.save(SocketState(id: "s4", pid: "p4", namespace: "/", rooms: [], data: nil), connected: false)
        #expect(await store.restore(pid: "p4", offset: old, namespace: "/") == nil)
        store.save(SocketState(id: "s4", pid: "p4", namespace: "/", rooms: [], data: nil), connected: false)
        #expect(await store.restore(pid: "p4", offset: last, namespace: "/")?.missedPackets.isEmpty == true)
        #expect(try await probe.command("XLEN", "socket.io-recovery#/#").integer ?? 0 < 200)
    }

    /// With the Redis store, a broadcast reaches this server's sockets at once, before a
    /// direct emit made after it, and `emit` counts them, even while Redis answers nothing
    /// (stopped): the offset is made here and recorded without delaying delivery.
    @Test(.enabled(if: InteropTools.runnable(InteropTools.redis), "needs redis-server (scripts/setup --test)"))
    @LoopActor func localDeliveryNeverWaitsForRedis() async throws {
        let redis = try await RedisServer.start()
        defer {
            kill(redis.process.processIdentifier, SIGCONT)
            RedisServer.stop(redis)
        }
        let cluster = try await RedisCluster.connect(RedisAdapterOptions(url: "redis://127.0.0.1:\(redis.port)"))
        defer { cluster.close() }
        var options = SocketIOOptions()
        options.connectionStateRecovery = ConnectionStateRecovery()
        let sio = SocketIOServer(options: options, adapter: cluster.makeAdapter,
                                 stateStore: RedisConnectionStateStore(cluster: cluster, settings: options.connectionStateRecovery!))
        let app = App()
        sio.attach(to: app)
        let client = try await SocketIOTestClient.connect(to: app)
        defer { Task { await client.close() } }
        #expect(await cluster.flush())

        kill(redis.process.processIdentifier, SIGSTOP)
        let socket = try #require(sio.main.sockets.values.first)
        #expect(sio.main.all.emit("news", "first") == 1)
        socket.emit("direct", "second")
        #expect(sio.main.all.emit("news", "third") == 1)
        #expect(await client.waitFor(timeout: 2000) { $0.count >= 3 })
        let received = client.received()
        #expect(received.map(\.name) == ["news", "direct", "news"])
        #expect(received.map { $0.arguments.first } == ["first", "second", "third"])
        let offsets = [received[0], received[2]].compactMap { $0.arguments.last?.stringValue }
        #expect(offsets.count == 2 && offsets[0] != offsets[1])
        kill(redis.process.processIdentifier, SIGCONT)
    }
}
