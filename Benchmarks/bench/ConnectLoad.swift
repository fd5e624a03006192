import FlagonLoop

/// `connect`: full new connections (TCP, WebSocket upgrade, Engine.IO open, `40` and its
/// answer, close), `parallel` at a time; with a `rate`, no more than that many per second in
/// all (each of the `parallel` tasks starts its connections on a schedule of its own).
@LoopActor
final class ConnectLoad: LoadCounter {
    private(set) var completed = 0
    private(set) var histogram = Histogram()
    private(set) var failures = 0
    private var running = true
    private var workers: [Task<Void, Never>] = []

    func reset() {
        completed = 0
        histogram = Histogram()
    }

    func start(port: Int, parallel: Int, rate: Int? = nil) {
        let interval = rate.map { UInt64(Double(parallel) * 1_000_000 / Double(max($0, 1))) }
        for task in 0..<parallel {
            workers.append(Task { @LoopActor [unowned self] in
                // Staggered, so that the tasks do not start together.
                var next = ResourceLimits.nowMicros() + (interval ?? 0) * UInt64(task) / UInt64(parallel)
                while running {
                    if let interval {
                        let now = ResourceLimits.nowMicros()
                        if next > now { await LoopTimer.sleep(milliseconds: (next - now + 999) / 1000) }
                        // A schedule more than 100 ms behind starts again from now (no burst).
                        next = max(next + interval, ResourceLimits.nowMicros() - 100_000)
                    }
                    let started = ResourceLimits.nowMicros()
                    do {
                        let socket = try await BenchSocket.connect(port: port)
                        socket.close()
                        histogram.record(ResourceLimits.nowMicros() - started)
                        completed += 1
                    } catch {
                        failures += 1
                        await LoopTimer.sleep(milliseconds: 1)
                    }
                }
            })
        }
    }

    func stop() async {
        running = false
        for worker in workers { await worker.value }
    }
}
