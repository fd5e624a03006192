import FlagonLoop
import Foundation

/// `recovery`: what connection state recovery costs, and how fast it recovers.
/// 1. echo-50 and fanout-capacity against a server with recovery off and one with recovery
///    on (in memory), alternating, in one run: server CPU per unit.
/// 2. With redis-server: 1,000 clients on one cluster server (recovery in Redis) receive a
///    broadcast; that server is killed (SIGKILL); another broadcast; then all 1,000 reconnect
///    at once to the other server with their pid and offset: the time until every one has
///    its old id back and the broadcast it missed.
@LoopActor
struct RecoveryBench {
    let options: BenchOptions

    func run() async -> [ScenarioResult] {
        var results: [ScenarioResult] = []
        do {
            results += try await OnOffBench(options: options, flag: "--recovery", label: "recovery").run()
            if ClusterBench.available { results.append(try await recoverOnAnotherServer(clients: 1000)) }
        } catch {
            results.append(ScenarioResult(name: "recovery", unit: "", reps: [], error: String(describing: error)))
        }
        return results
    }

    private func recoverOnAnotherServer(clients count: Int) async throws -> ScenarioResult {
        var children: [Process] = []
        defer {
            for child in children where child.isRunning {
                child.terminate()
                child.waitUntilExit()
            }
        }
        let (redis, url) = try await ClusterBench.startRedis()
        children.append(redis)
        var reps: [RepResult] = []
        for _ in 0..<options.reps {
            let (a, aPort) = try await ClusterBench.startServer(redis: url, extra: ["--recovery"])
            children.append(a)
            let (b, bPort) = try await ClusterBench.startServer(redis: url, extra: ["--recovery"])
            children.append(b)
            let sockets = try await openSockets(count, port: aPort)
            let sender = try await BenchSocket.connect(port: bPort)
            let load = FanoutLoad()
            await load.join(sockets)
            var offsets = [String](repeating: "", count: count)
            try await receiveOne(sockets, sender: sender) { index, offset in offsets[index] = offset }
            let sessions = sockets.map { Self.field("sid", $0.connectReply) + "\u{0}" + Self.field("pid", $0.connectReply) }
            a.terminate()   // SIGTERM would drain; the worst case is a process that is simply gone:
            kill(a.processIdentifier, SIGKILL)
            a.waitUntilExit()
            for socket in sockets { socket.close() }
            await LoopTimer.sleep(milliseconds: 200)
            sender.send(Array(#"420["fanout",{"missed":true}]"#.utf8))   // while they are away
            await LoopTimer.sleep(milliseconds: 200)

            let started = ResourceLimits.nowMicros()
            final class Tally {
                var recovered = 0
                var gotMissed = 0
            }
            let tally = Tally()
            final class Batch {
                var sockets: [BenchSocket] = []
                var pending = 0
                var failure: (any Error)?
            }
            let state = Batch()
            var index = 0
            while index < count {
                let batch = min(250, count - index)
                state.pending = batch
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    for i in index..<(index + batch) {
                        let parts = sessions[i].split(separator: "\u{0}", omittingEmptySubsequences: false)
                        let auth = #"{"pid":"\#(parts[1])","offset":"\#(offsets[i])"}"#
                        Task { @LoopActor in
                            do {
                                let socket = try await BenchSocket.connect(port: bPort, auth: auth) { message in
                                    if String(decoding: message, as: UTF8.self).contains("\"missed\"") { tally.gotMissed += 1 }
                                }
                                if Self.field("sid", socket.connectReply) == String(parts[0]) { tally.recovered += 1 }
                                state.sockets.append(socket)
                            } catch {
                                state.failure = error
                            }
                            state.pending -= 1
                            if state.pending == 0 { continuation.resume() }
                        }
                    }
                }
                if let failure = state.failure { throw failure }
                index += batch
            }
            let back = state.sockets
            for _ in 0..<500 where tally.gotMissed < count { await LoopTimer.sleep(milliseconds: 2) }
            let elapsed = Double(ResourceLimits.nowMicros() - started) / 1000
            reps.append(RepResult(throughput: elapsed, generatorCPUShare: 0,
                                  note: "\(tally.recovered)/\(count) got their sid back, \(tally.gotMissed)/\(count) the missed broadcast"))
            for socket in back { socket.close() }
            sender.close()
            b.terminate()
            b.waitUntilExit()
        }
        return ScenarioResult(name: "recover \(count) clients at once on another server (the first killed; state in Redis)",
                              unit: "ms", reps: reps)
    }

    /// Waits until every socket has received one fanout; gives each one's offset (its last argument).
    private func receiveOne(_ sockets: [BenchSocket], sender: BenchSocket, _ offset: @escaping (Int, String) -> Void) async throws {
        var waiting = sockets.count
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            for (index, socket) in sockets.enumerated() {
                socket.onMessage = { message in
                    let text = String(decoding: message, as: UTF8.self)
                    guard text.hasPrefix("2[\"fanout\""), let end = text.lastIndex(of: "\""),
                          let start = text[..<end].lastIndex(of: "\"") else { return }
                    offset(index, String(text[text.index(after: start)..<end]))
                    socket.onMessage = nil
                    waiting -= 1
                    if waiting == 0 { continuation.resume() }
                }
            }
            sender.send(Array(#"420["fanout",{"n":1}]"#.utf8))
        }
    }

    /// A string field of a small JSON object in text (the CONNECT reply).
    nonisolated static func field(_ name: String, _ text: String) -> String {
        guard let range = text.range(of: "\"\(name)\":\"") else { return "" }
        let rest = text[range.upperBound...]
        return String(rest.prefix { $0 != "\"" })
    }
}
