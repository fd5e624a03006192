import FlagonLoop

/// What an app measures about itself when it serves metrics: HTTP responses by status and
/// the loop's lag, plus whatever collectors were added (a Socket.IO server, a cluster).
@LoopActor
final class AppMetrics {
    var responsesByStatus: [Int: Int] = [:]
    var collectors: [@LoopActor (inout PrometheusWriter) -> Void] = []
    /// How late a 10 ms timer fired, in buckets of seconds.
    static let lagBounds: [Double] = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]
    var lagCounts = [Int](repeating: 0, count: lagBounds.count + 1)
    var lagSum = 0.0
    private var lagTimer: LoopTimer?
    private var expected: UInt64 = 0

    /// Starts the 10 ms timer that measures the loop's lag.
    func startLagProbe() {
        guard lagTimer == nil else { return }
        expected = EventLoop.shared.currentMilliseconds + 10
        let timer = LoopTimer { [weak self] in
            guard let self else { return }
            let now = EventLoop.shared.currentMilliseconds
            let late = Double(now > expected ? now - expected : 0) / 1000
            expected = now + 10
            lagSum += late
            let index = Self.lagBounds.firstIndex { late <= $0 } ?? Self.lagBounds.count
            lagCounts[index] += 1
        }
        timer.start(afterMilliseconds: 10, repeatMilliseconds: 10)
        timer.unref()
        lagTimer = timer
    }

    func stop() {
        lagTimer?.close()
        lagTimer = nil
    }

    // An app dropped without a shutdown (an in-process test client's) stops its probe here.
    isolated deinit {
        lagTimer?.close()
    }

    func write(into out: inout PrometheusWriter) {
        out.family("flagon_http_responses_total", type: .counter, help: "HTTP responses, by status.")
        for status in responsesByStatus.keys.sorted() {
            out.sample("flagon_http_responses_total", labels: [("status", String(status))], value: responsesByStatus[status]!)
        }
        out.histogram("flagon_loop_lag_seconds", help: "How late a 10 ms timer of the event loop fired.",
                      bounds: Self.lagBounds, counts: Array(lagCounts.prefix(Self.lagBounds.count)) + [lagCounts.last!], sum: lagSum)
        ProcessMetrics.current()?.write(into: &out)
        for collector in collectors { collector(&out) }
    }
}

extension App {
    /// Serves metrics in the Prometheus text format at `path` (off until called): HTTP
    /// responses by status, the loop's lag, the process's (`process_resident_memory_bytes`,
    /// `process_cpu_seconds_total`, `process_open_fds`, `process_max_fds`,
    /// `process_start_time_seconds`, as Prometheus clients name them), and what Socket.IO servers attached to the app
    /// and other collectors report.
    ///
    /// ```swift
    /// app.serveMetrics()            // GET /metrics
    /// ```
    public func serveMetrics(at path: String = "/metrics") {
        let metrics = enableMetrics()
        metrics.startLagProbe()
        onShutdown { metrics.stop() }
        // With several workers, one scrape shows them all, each sample labelled with its worker.
        WorkerRequests.shared?.serve("metrics") { _ in
            var out = PrometheusWriter()
            metrics.write(into: &out)
            return Array(out.text.utf8)
        }
        get(path) { _ in
            var out = PrometheusWriter()
            metrics.write(into: &out)
            var text = out.text
            if let requests = WorkerRequests.shared, let worker = WorkerIdentity.current {
                // Asked at once; a worker that does not answer within a second is left out.
                let asked = (0..<worker.count).filter { $0 != worker.index }.map { index in
                    (index, Task { await requests.ask(index, "metrics", [], timeout: 1000) })
                }
                var texts: [(worker: Int, text: String)] = [(worker.index, text)]
                for (index, task) in asked {
                    if let answer = await task.value { texts.append((index, String(decoding: answer, as: UTF8.self))) }
                }
                texts.sort { $0.worker < $1.worker }
                text = PrometheusMerge.merge(texts)
            }
            var response = Response.text(text)
            response.headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            return response
        }
    }

    /// Adds what a component reports to the app's metrics (written at each scrape).
    public func addMetrics(_ collector: @escaping @LoopActor (inout PrometheusWriter) -> Void) {
        metricsCollectors.append(collector)
        appMetrics?.collectors.append(collector)
    }
}
