import FlagonLoop
import Foundation

/// `compression`: permessage-deflate on a 4 KB JSON chat message. echo-50 (window 8) of that
/// message against a server without compression and one with it (clients offering it):
/// server CPU per message and bytes on the wire per echoed message; then the RSS of 5,000
/// idle WebSocket connections that negotiated compression, against ones that did not.
@LoopActor
struct CompressionBench {
    let options: BenchOptions

    /// A chat message of about 4 KB, as JSON with the words people write.
    static let message: String = {
        let words = ["the", "meeting", "moved", "to", "three", "o'clock", "please", "bring", "your", "notes", "and", "the",
                     "draft", "of", "chapter", "four", "we", "will", "review", "comments", "from", "Ann", "and", "Bob"]
        var text = ""
        var index = 0
        while text.utf8.count < 3900 {
            text += words[(index * 7 + index / 3) % words.count] + (index % 13 == 12 ? ". " : " ")
            index += 1
        }
        return #"{"user":"ann","room":"general","sent":1733000000000,"text":""# + text + #""}"#
    }()

    func run() async -> [ScenarioResult] {
        var results: [ScenarioResult] = []
        do {
            for on in [false, true, false, true] {
                let (server, port) = try await startChildServer(pin: options.pin, workers: options.workers, arguments: on ? ["--deflate"] : [])
                results.append(try await echo(port: port, pid: server.processIdentifier, on: on))
                server.terminate()
                server.waitUntilExit()
            }
            for on in [false, true] {
                let (server, port) = try await startChildServer(pin: options.pin, workers: options.workers, arguments: on ? ["--deflate"] : [])
                results.append(try await idle(port: port, pid: server.processIdentifier, on: on))
                server.terminate()
                server.waitUntilExit()
            }
        } catch {
            results.append(ScenarioResult(name: "compression", unit: "", reps: [], error: String(describing: error)))
        }
        return results
    }

    private func echo(port: Int, pid: Int32, on: Bool) async throws -> ScenarioResult {
        var sockets: [BenchSocket] = []
        for _ in 0..<50 { sockets.append(try await BenchSocket.connect(port: port, offerDeflate: on)) }
        let load = EchoLoad(window: 8, payload: Self.message)
        load.start(sockets)
        let before = sockets.reduce(0) { $0 + $1.wireBytesReceived }
        var reps = await Measurer(serverPID: pid, duration: options.duration, reps: options.reps, warmup: options.warmup).measure(load)
        let after = sockets.reduce(0) { $0 + $1.wireBytesReceived }
        let total = reps.reduce(0.0) { $0 + $1.throughput * options.duration }
        let perMessage = total > 0 ? Double(after - before) / (total + 8 * 50 * options.warmup) : 0
        for index in reps.indices { reps[index].note = String(format: "about %.0f bytes on the wire per echoed message", perMessage) }
        load.stop()
        for socket in sockets { socket.close() }
        await LoopTimer.sleep(milliseconds: 300)
        return ScenarioResult(name: "echo-50 of a \(Self.message.utf8.count)-byte JSON message, permessage-deflate \(on ? "on" : "off")",
                              unit: "acks/s", reps: reps)
    }

    private func idle(port: Int, pid: Int32, on: Bool) async throws -> ScenarioResult {
        await LoopTimer.sleep(milliseconds: 300)
        let before = ResourceLimits.residentKB(pid: pid) ?? 0
        var sockets: [BenchSocket] = []
        var index = 0
        while index < 5000 {
            sockets.append(try await BenchSocket.connect(port: port, offerDeflate: on))
            index += 1
        }
        let negotiated = sockets.filter(\.deflates).count
        await LoopTimer.sleep(milliseconds: UInt64(max(1, options.duration) * 1000))
        let after = ResourceLimits.residentKB(pid: pid) ?? 0
        for socket in sockets { socket.close() }
        await LoopTimer.sleep(milliseconds: 300)
        let rep = RepResult(throughput: Double(after - before) / 5000, generatorCPUShare: 0,
                            note: "\(negotiated)/5000 negotiated permessage-deflate, RSS \(before) -> \(after) KB")
        return ScenarioResult(name: "idle-5000, permessage-deflate \(on ? "offered and agreed" : "off")", unit: "KB RSS/connection", reps: [rep])
    }
}
