@testable import FlagonRedisAdapter
import FlagonLoop
import Testing

/// A stand-in for a broken Redis Cluster node, on the loop: it serves `slots` (the others
/// have no primary) and answers every keyed command with a `MOVED` to itself.
@LoopActor
private final class LoopingClusterNode {
    var listener: TCPListener?
    var streams: [ObjectIdentifier: TCPStream] = [:]
    var keyedCommands = 0
    var slotQuestions = 0
    let slots: ClosedRange<Int>

    init(slots: ClosedRange<Int>) throws {
        self.slots = slots
        listener = try TCPListener(host: "127.0.0.1", port: 0) { [weak self] stream in self?.accept(stream) }
    }

    var port: Int { listener?.port ?? 0 }

    private func accept(_ stream: TCPStream) {
        let id = ObjectIdentifier(stream)
        streams[id] = stream
        var parser = RESPParser()
        stream.onRead = { [weak self] bytes in
            parser.append(bytes)
            while let command = try? parser.next(), let words = command.elements?.compactMap(\.text) {
                guard let self else { return }
                stream.write(Array(answer(words).utf8))
            }
        }
        stream.onClose = { [weak self] _ in self?.streams[id] = nil }
        stream.startReading()
    }

    private func answer(_ words: [String]) -> String {
        switch words.first?.uppercased() {
        case "PING": return "+PONG\r\n"
        case "CLUSTER":
            slotQuestions += 1
            return "*1\r\n*3\r\n:\(slots.lowerBound)\r\n:\(slots.upperBound)\r\n*2\r\n$9\r\n127.0.0.1\r\n:\(port)\r\n"
        default:
            keyedCommands += 1
            let slot = words.count > 1 ? RedisClusterTopology.slot(of: words[1]) : 0
            return "-MOVED \(slot) 127.0.0.1:\(port)\r\n"
        }
    }

    func close() {
        listener?.close()
        for stream in streams.values { stream.close() }
    }
}

/// Faults of a Redis Cluster that must be errors, logged and retried: never a crash, a hang
/// or a spin.
@Suite(.serialized) struct RedisClusterFaultTests {
    private func options(_ port: Int) -> RedisAdapterOptions {
        var options = RedisAdapterOptions(url: "redis://127.0.0.1:\(port)")
        options.redisCluster = true
        return options
    }

    @Test @LoopActor func aMOVEDLoopFailsTheCommandAfterFiveRedirections() async throws {
        let node = try LoopingClusterNode(slots: 0...16_383)
        defer { node.close() }
        let cluster = try await RedisCluster.connect(options(node.port))
        defer { cluster.close() }
        let key = Array("socket.io-session#pid".utf8)
        #expect(await cluster.command([Array("GETDEL".utf8), key], key: key) == nil)
        #expect(node.keyedCommands == 1 + RedisSlotRouter.maxRedirections)
        #expect(cluster.router?.statistics.redirections == 1 + RedisSlotRouter.maxRedirections)
        // Nothing goes on by itself: no spin.
        await LoopTimer.sleep(milliseconds: 600)
        #expect(node.keyedCommands == 1 + RedisSlotRouter.maxRedirections)
        // The table was read again (twice a second after a fault), not in a loop.
        #expect((1...6).contains(node.slotQuestions), "\(node.slotQuestions)")
    }

    @Test @LoopActor func aSlotWithNoPrimaryFailsAtOnceAndTheTableIsReadAgain() async throws {
        let node = try LoopingClusterNode(slots: 0...99)
        defer { node.close() }
        let cluster = try await RedisCluster.connect(options(node.port))
        defer { cluster.close() }
        let key = Array("abc".utf8)   // slot 7638: nobody's
        #expect(await cluster.command([Array("GET".utf8), key], key: key) == nil)
        #expect(node.keyedCommands == 0)
        #expect(cluster.router?.topology.unservedSlotCount == 16_384 - 100)
        let before = node.slotQuestions
        await LoopTimer.sleep(milliseconds: 1200)
        #expect((1...4).contains(node.slotQuestions - before), "\(node.slotQuestions - before)")
        #expect((cluster.router?.statistics.faults ?? 0) >= 1)
    }

    @Test @LoopActor func aNodeWithoutClusterSupportOrADatabaseIsRefusedAtStart() async throws {
        await #expect(throws: RedisClusterError.self) {
            var options = RedisAdapterOptions(url: "redis://127.0.0.1:1/2")
            options.redisCluster = true
            _ = try await RedisCluster.connect(options)
        }
        do {
            var options = RedisAdapterOptions(url: "unix:///tmp/redis.sock")
            options.redisCluster = true
            _ = try await RedisCluster.connect(options)
            Issue.record("a unix socket was accepted for a Redis Cluster")
        } catch {
            #expect("\(error)".contains("over TCP"))
        }
    }
}
