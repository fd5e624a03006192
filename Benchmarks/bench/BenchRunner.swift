import FlagonLoop
import Foundation

/// Settings from the command line.
struct BenchOptions {
    var scenarios: [String] = allBenchScenarios
    var duration = 3.0
    var reps = 3
    var warmup = 1.0
    var jsonPath = "bench-results.json"
    var url: String?
    var serverPID: Int32?
    var pin = true
    /// Connections opened and closed before an idle scenario's baseline (0: none).
    var idleWarmup = 250
    /// Workers of the bench server (`--workers N`; 1 by default).
    var workers = 1
    /// Every connection over TLS (`--tls`).
    var tls = false
    /// Echo events per second in all (`--rate N`), or `nil` for as fast as acks come.
    var rate: Int?
}

/// Every scenario, in the order they run.
let allBenchScenarios = ["echo-50", "echo-50-controller", "echo-50-plain", "echo-50-typed", "echo-50-codable", "echo-500", "fanout-steady", "fanout-capacity", "connect", "idle-5000", "idle-10000",
                         "polling", "http", "churn"] + (ClusterBench.available ? ["cluster"] : [])

/// Runs the scenarios against a server and reports.
@LoopActor
struct BenchRunner {
    let options: BenchOptions
    let port: Int
    let serverPID: Int32?

    var measurer: Measurer {
        Measurer(serverPID: serverPID, duration: options.duration, reps: options.reps, warmup: options.warmup)
    }

    func run(_ scenario: String) async -> ScenarioResult {
        do {
            switch scenario {
            case "echo-50": return try await echo(clients: 50)
            case "echo-500": return try await echo(clients: 500)
            case "echo-50-controller": return try await echo(clients: 50, namespace: "/ctl")
            case "echo-50-plain": return try await echo(clients: 50, namespace: "/plain")
            case "echo-50-typed": return try await echo(clients: 50, namespace: "/typed")
            case "echo-50-codable": return try await echo(clients: 50, namespace: "/codable")
            case "cpu-bound": return try await echo(clients: 50, event: "hash")
            case "fanout-steady": return try await fanout(capacity: false)
            case "fanout-capacity": return try await fanout(capacity: true)
            case "connect": return try await connect()
            case "idle-5000": return try await idle(5000)
            case "idle-10000": return try await idle(10_000)
            case "polling": return try await polling()
            case "http": return try await http()
            case "churn": return try await churn(namespace: "/ctl")
            case "churn-closures": return try await churn(namespace: "/")
            default: return ScenarioResult(name: scenario, unit: "", reps: [], error: "unknown scenario")
            }
        } catch {
            return ScenarioResult(name: scenario, unit: "", reps: [], error: String(describing: error))
        }
    }

    private func echo(clients: Int, namespace: String = "/", event: String = "echo") async throws -> ScenarioResult {
        let sockets = try await openSockets(clients, port: port, namespace: namespace)
        let load = EchoLoad(window: 8, namespace: namespace, event: event, rate: options.rate)
        load.start(sockets)
        let reps = await measurer.measure(load)
        load.stop()
        for socket in sockets { socket.close() }
        if event == "hash" {
            return ScenarioResult(name: "cpu-bound (50 clients, window 8, each event hashes 64 KB)", unit: "acks/s", reps: reps)
        }
        let served = switch namespace {
        case "/": ""
        case "/plain": ", raw arguments at /plain"
        case "/typed": ", an @EventPayload parameter at /typed"
        case "/codable": ", a Codable parameter at /codable"
        default: ", a @SocketNamespace controller at \(namespace)"
        }
        let capped = options.rate.map { ", at most \($0) events/s" } ?? ""
        return ScenarioResult(name: "echo-\(clients) (window 8\(served)\(capped))", unit: "acks/s", reps: reps)
    }

    private func fanout(capacity: Bool) async throws -> ScenarioResult {
        let receivers = try await openSockets(1000, port: port)
        let sender = try await BenchSocket.connect(port: port)
        let load = FanoutLoad()
        await load.join(receivers)
        load.listen(receivers, measureLatency: !capacity)
        if capacity {
            load.startCapacity(sender, window: 8)
        } else {
            load.startSteady(sender, rate: 100)   // 100 fanouts/s x 1000 receivers
        }
        let reps = await measurer.measure(load, latency: !capacity)
        load.stop()
        sender.close()
        for receiver in receivers { receiver.close() }
        await LoopTimer.sleep(milliseconds: 200)
        return ScenarioResult(name: capacity ? "fanout-capacity (1000 receivers, window 8)" : "fanout-steady (1000 receivers, 100 msg/s)",
                              unit: "deliveries/s", reps: reps)
    }

    private func connect() async throws -> ScenarioResult {
        let load = ConnectLoad()
        load.start(port: port, parallel: 50, rate: options.rate)
        let reps = await measurer.measure(load)
        await load.stop()
        await LoopTimer.sleep(milliseconds: 300)
        let capped = options.rate.map { ", at most \($0)/s" } ?? ""
        return ScenarioResult(name: "connect (50 in flight\(capped))", unit: "connections/s", reps: reps)
    }

    private func idle(_ count: Int) async throws -> ScenarioResult {
        guard let pid = serverPID else {
            return ScenarioResult(name: "idle-\(count)", unit: "KB/connection", reps: [], error: "needs the server's pid (--server-pid)")
        }
        // A warm-up first (250 connections by default) opened and closed, so that what the first
        // connections touch once for all (code pages of the TLS library's SHA-1 and random
        // source, the allocator's arena, runtime metadata) is not counted per connection.
        // Then one baseline, and the connections stay open; each repetition re-reads the
        // RSS after another period, so pings and pongs have their share in it.
        if options.idleWarmup > 0 {
            for socket in try await openSockets(options.idleWarmup, port: port, parallel: 250) { socket.close() }
            await LoopTimer.sleep(milliseconds: 500)
        } else {
            await LoopTimer.sleep(milliseconds: 300)
        }
        let before = ResourceLimits.residentKBWithChildren(pid: pid) ?? 0
        let sockets = try await openSockets(count, port: port, parallel: 250)
        var reps: [RepResult] = []
        for _ in 0..<options.reps {
            await LoopTimer.sleep(milliseconds: UInt64(max(1, options.duration) * 1000))
            let after = ResourceLimits.residentKBWithChildren(pid: pid) ?? 0
            let alive = sockets.filter { !$0.isClosed }.count
            reps.append(RepResult(throughput: Double(after - before) / Double(count), generatorCPUShare: 0,
                                  note: "\(alive)/\(count) alive, RSS \(before) -> \(after) KB, warm-up \(options.idleWarmup)"))
        }
        for socket in sockets { socket.close() }
        await LoopTimer.sleep(milliseconds: 500)
        return ScenarioResult(name: "idle-\(count)", unit: "KB RSS/connection", reps: reps)
    }

    /// Connection cycles: the server's RSS after a warm-up, then after 20,000 more cycles
    /// (each repetition adds 20,000): what a cycle leaves behind, in bytes.
    private func churn(namespace: String) async throws -> ScenarioResult {
        let name = "churn \(namespace == "/" ? "closures (/)" : "controllers (/ctl)") (20,000 cycles per rep, 50 in flight)"
        guard let pid = serverPID else {
            return ScenarioResult(name: name, unit: "B retained/cycle", reps: [], error: "needs the server's pid (--server-pid)")
        }
        let load = ChurnLoad()
        await load.run(port: port, namespace: namespace, cycles: 4000, parallel: 50)   // warm-up: pools and caches fill
        await LoopTimer.sleep(milliseconds: 1000)
        let baseline = ResourceLimits.residentKBWithChildren(pid: pid) ?? 0
        var reps: [RepResult] = []
        var total = 0
        for _ in 0..<options.reps {
            let started = ResourceLimits.nowMicros()
            await load.run(port: port, namespace: namespace, cycles: 20_000, parallel: 50)
            let seconds = Double(ResourceLimits.nowMicros() - started) / 1_000_000
            total += 20_000
            await LoopTimer.sleep(milliseconds: 1000)   // closing handshakes and timers finish
            let after = ResourceLimits.residentKBWithChildren(pid: pid) ?? 0
            reps.append(RepResult(throughput: Double(after - baseline) * 1024 / Double(total), generatorCPUShare: 0,
                                  note: "RSS \(baseline) -> \(after) KB after \(total) cycles, \(Int(20_000 / seconds)) cycles/s, \(load.failures) failed"))
        }
        return ScenarioResult(name: name, unit: "B retained/cycle", reps: reps)
    }

    private func polling() async throws -> ScenarioResult {
        let load = PollingLoad()
        try await load.start(port: port, clients: 50)
        let reps = await measurer.measure(load)
        load.stop()
        await LoopTimer.sleep(milliseconds: 200)
        return ScenarioResult(name: "polling echo-50 (window 1)", unit: "acks/s", reps: reps)
    }

    private func http() async throws -> ScenarioResult {
        let load = HTTPLoad()
        try await load.start(port: port, connections: 50)
        let reps = await measurer.measure(load)
        load.stop()
        await LoopTimer.sleep(milliseconds: 200)
        return ScenarioResult(name: "http GET /plain (50 connections)", unit: "requests/s", reps: reps)
    }
}
