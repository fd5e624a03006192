import FlagonLoop

/// One repetition's figures.
struct RepResult: Codable {
    var throughput: Double
    var p50ms: Double?
    var p99ms: Double?
    var p999ms: Double?
    var serverCPUSecondsPer100k: Double?
    var generatorCPUShare: Double
    var note: String?
}

/// A scenario's repetitions and their medians.
struct ScenarioResult: Codable {
    var name: String
    var unit: String
    var reps: [RepResult]
    var error: String?

    func median(_ value: (RepResult) -> Double?) -> Double? {
        let values = reps.compactMap(value).sorted()
        guard !values.isEmpty else { return nil }
        return values[values.count / 2]
    }

    func minimum(_ value: (RepResult) -> Double?) -> Double? { reps.compactMap(value).min() }
    func maximum(_ value: (RepResult) -> Double?) -> Double? { reps.compactMap(value).max() }
}

/// What a running load reports: completed units and latencies since the last reset.
@LoopActor
protocol LoadCounter: AnyObject {
    var completed: Int { get }
    var histogram: Histogram { get }
    func reset()
}

/// Runs a warm-up, then timed repetitions, reading the server's CPU time around each.
@LoopActor
struct Measurer {
    let serverPID: Int32?
    let duration: Double
    let reps: Int
    let warmup: Double
    /// Other server processes whose CPU time counts too (a cluster's).
    var otherPIDs: [Int32] = []

    private func serverCPU() -> Double? {
        guard let serverPID, var total = ResourceLimits.cpuSeconds(pid: serverPID) else { return nil }
        for pid in otherPIDs { total += ResourceLimits.cpuSeconds(pid: pid) ?? 0 }
        return total
    }

    func measure(_ load: any LoadCounter, latency: Bool = true) async -> [RepResult] {
        await LoopTimer.sleep(milliseconds: UInt64(warmup * 1000))
        var results: [RepResult] = []
        for _ in 0..<reps {
            load.reset()
            let serverStart = serverCPU()
            let selfStart = ResourceLimits.selfCPUSeconds()
            let wallStart = ResourceLimits.nowMicros()
            await LoopTimer.sleep(milliseconds: UInt64(duration * 1000))
            let wall = Double(ResourceLimits.nowMicros() - wallStart) / 1e6
            let units = Double(load.completed)
            let selfCPU = ResourceLimits.selfCPUSeconds() - selfStart
            var serverPer100k: Double?
            if let serverStart, let serverEnd = serverCPU(), units > 0 {
                serverPer100k = (serverEnd - serverStart) / units * 100_000
            }
            let histogram = load.histogram
            results.append(RepResult(
                throughput: units / wall,
                p50ms: latency ? Double(histogram.percentile(0.5)) / 1000 : nil,
                p99ms: latency ? Double(histogram.percentile(0.99)) / 1000 : nil,
                p999ms: latency ? Double(histogram.percentile(0.999)) / 1000 : nil,
                serverCPUSecondsPer100k: serverPer100k,
                generatorCPUShare: selfCPU / wall))
        }
        return results
    }
}

/// Opens `count` connections, `parallel` at a time.
@LoopActor
func openSockets(_ count: Int, port: Int, parallel: Int = 200, connectNamespace: Bool = true,
                 namespace: String = "/", source: String? = nil, retries: Int = 0) async throws -> [BenchSocket] {
    final class Batch {
        var sockets: [BenchSocket] = []
        var failure: (any Error)?
        var pending = 0
    }
    let state = Batch()
    var index = 0
    while index < count {
        let size = min(parallel, count - index)
        state.pending = size
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            for _ in 0..<size {
                Task { @LoopActor in
                    for attempt in 0...retries {
                        do {
                            state.sockets.append(try await BenchSocket.connect(port: port, connectNamespace: connectNamespace,
                                                                               namespace: namespace, source: source))
                            break
                        } catch {
                            // A full worker closes what it cannot take: another try reaches another one.
                            if attempt == retries { state.failure = error } else { await LoopTimer.sleep(milliseconds: 50) }
                        }
                    }
                    state.pending -= 1
                    if state.pending == 0 { continuation.resume() }
                }
            }
        }
        if let failure = state.failure {
            for socket in state.sockets { socket.close() }
            throw failure
        }
        index += size
    }
    return state.sockets
}

/// Parses the ack id of `3<id>[...]`; `nil` for other packets.
@inline(__always)
func ackID(_ message: UnsafeBufferPointer<UInt8>) -> Int? {
    var index = 0
    guard index < message.count, message[index] == UInt8(ascii: "3") else { return nil }
    index += 1
    if index < message.count, message[index] == UInt8(ascii: "/") {   // a namespace: "3/ctl,<id>"
        while index < message.count, message[index] != UInt8(ascii: ",") { index += 1 }
        index += 1
    }
    var value = 0
    var digits = 0
    while index < message.count, message[index] >= 48, message[index] <= 57 {
        value = value * 10 + Int(message[index] - 48)
        index += 1
        digits += 1
    }
    return digits > 0 ? value : nil
}

/// The number of decimal digits of a non-negative number.
@inline(__always)
func decimalDigits(_ value: Int) -> Int {
    var count = 1
    var rest = value
    while rest >= 10 {
        rest /= 10
        count += 1
    }
    return count
}

/// Appends a non-negative decimal number without allocating.
@inline(__always)
func appendDecimal(_ value: Int, to out: inout [UInt8]) {
    var divisor = 1
    while divisor <= value / 10 { divisor *= 10 }
    var rest = value
    while divisor > 0 {
        out.append(UInt8(48 + rest / divisor))
        rest %= divisor
        divisor /= 10
    }
}
