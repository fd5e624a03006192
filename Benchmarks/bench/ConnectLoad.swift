import FlagonLoop

/// `connect`: full new connections (TCP, WebSocket upgrade, Engine.IO open, `40` and its
/// answer, close), `parallel` at a time.
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

    func start(port: Int, parallel: Int) {
        for _ in 0..<parallel {
            workers.append(Task { @LoopActor [unowned self] in
                while running {
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
