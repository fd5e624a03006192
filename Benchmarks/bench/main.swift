// `swift run -c release bench`: Flagon's Socket.IO benchmark.
//
//   bench                                  start the bench server in a child process, run every scenario
//   bench serve --port N [--workers N] [--recovery] [--metrics] [--deflate] [--redis URL [--routing pattern]]
//               [--tls-cert PEM --tls-key PEM] [--redis-sharded MODE] [--redis-ca PEM]
//                                          only the bench server (a cluster member with --redis, over TLS with a certificate)
//   bench json                             FlagonJSON against Foundation's JSONSerialization
//   bench idle-many [--connections N] [--workers N] [--generators N] [--duration S]
//                                          N idle WebSocket connections on one server with workers
//   bench stall [--times N] [--port N]     how long one hostile packet at the size limit holds up another client
//   bench soak [--clients N] [--duration S] [--warmup S] [--server PATH]
//                                          long run against the conformance server (release build)
//   `swift run bench` builds the release product and runs it (--debug-build keeps the debug binary)
//   options: --scenario NAME (repeatable), --duration SECONDS, --reps N, --json PATH,
//            --url http://127.0.0.1:PORT (measure another server), --server-pid PID, --no-pin,
//            --idle-warmup N (connections opened and closed before an idle baseline; default 250),
//            --workers N (the bench server's workers; not pinned then),
//            --tls (the server serves a throwaway certificate; every client connection is TLS 1.3),
//            --rate N (echo and connect: at most N events or connections per second in all, to compare CPU per unit at equal load)
import Flagon
import FlagonLoop
import FlagonRedisAdapter
import FlagonTLS
import Foundation

var arguments = Array(CommandLine.arguments.dropFirst())
#if DEBUG
if let keep = arguments.firstIndex(of: ReleaseRelaunch.keepDebugFlag) {
    arguments.remove(at: keep)
    let buildWarning = "WARNING: debug build, the figures are meaningless. Run `swift run bench` without \(ReleaseRelaunch.keepDebugFlag)."
    print(String(repeating: "!", count: buildWarning.count))
    print(buildWarning)
    print(String(repeating: "!", count: buildWarning.count))
} else {
    ReleaseRelaunch.relaunchInRelease(arguments: arguments)
}
#endif
if arguments.first == "json" {
    JSONBenchmark.run()
    exit(0)
}
if arguments.first == "stall" {
    let times = arguments.firstIndex(of: "--times").flatMap { $0 + 1 < arguments.count ? Int(arguments[$0 + 1]) : nil } ?? 3
    let existing = arguments.firstIndex(of: "--port").flatMap { $0 + 1 < arguments.count ? Int(arguments[$0 + 1]) : nil }
    try await HostileStall.main(times: times, port: existing)
    exit(0)
}
if arguments.first == "soak" {
    var settings = Soak.Settings()
    var index = 1
    while index + 1 < arguments.count {
        let value = arguments[index + 1]
        switch arguments[index] {
        case "--clients": settings.clients = Int(value) ?? settings.clients
        case "--duration": settings.duration = Double(value) ?? settings.duration
        case "--warmup": settings.warmup = Double(value) ?? settings.warmup
        case "--server": settings.server = value
        default: print("unknown argument \(arguments[index])"); exit(2)
        }
        index += 2
    }
    ResourceLimits.raiseOpenFiles()
    let passed = try await Soak(settings: settings).run()
    exit(passed ? 0 : 1)
}
if arguments.first == "idle-many" || arguments.first == "hold" {
    func value(_ name: String) -> String? {
        arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
    }
    ResourceLimits.raiseOpenFiles()
    if arguments.first == "hold" {
        await ManyIdle.hold(port: value("--port").flatMap(Int.init) ?? 3000, count: value("--count").flatMap(Int.init) ?? 1000,
                            source: value("--source") ?? "127.0.0.1", seconds: value("--seconds").flatMap(Double.init) ?? 60)
        exit(0)
    }
    var settings = ManyIdle.Settings()
    settings.connections = value("--connections").flatMap(Int.init) ?? settings.connections
    settings.workers = value("--workers").flatMap(Int.init) ?? settings.workers
    settings.generators = value("--generators").flatMap(Int.init) ?? settings.generators
    settings.duration = value("--duration").flatMap(Double.init) ?? settings.duration
    try await ManyIdle.run(settings)
    exit(0)
}
if arguments.first == "serve" {
    var port = 3000
    if let index = arguments.firstIndex(of: "--port"), index + 1 < arguments.count { port = Int(arguments[index + 1]) ?? port }
    let redis = arguments.firstIndex(of: "--redis").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
    let routingIndex = arguments.firstIndex(of: "--routing")
    let routing: RedisRouting = routingIndex.map { $0 + 1 < arguments.count && arguments[$0 + 1] == "pattern" } == true ? .pattern : .targeted
    let workers = arguments.firstIndex(of: "--workers").flatMap { $0 + 1 < arguments.count ? Int(arguments[$0 + 1]) : nil } ?? 1
    func value(_ name: String) -> String? { arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil } }
    let tls = value("--tls-cert").flatMap { cert in value("--tls-key").map { TLSOptions(certificateFile: cert, privateKeyFile: $0) } }
    do {
        try await BenchServer.serve(port: port, redisURL: redis, routing: routing, recovery: arguments.contains("--recovery"),
                                    metrics: arguments.contains("--metrics"), deflate: arguments.contains("--deflate"), workers: workers,
                                    tls: tls, redisSharded: value("--redis-sharded").flatMap(RedisShardedMode.init(rawValue:)),
                                    redisCAFile: value("--redis-ca"))
    } catch {
        FileHandle.standardError.write(Data("bench serve: \(error)\n".utf8))
        exit(1)
    }
    exit(0)
}

var options = BenchOptions()
var chosen: [String] = []
var index = 0
while index < arguments.count {
    let argument = arguments[index]
    let value = index + 1 < arguments.count ? arguments[index + 1] : ""
    switch argument {
    case "--scenario": chosen.append(value); index += 1
    case "--duration": options.duration = Double(value) ?? options.duration; index += 1
    case "--reps": options.reps = Int(value) ?? options.reps; index += 1
    case "--json": options.jsonPath = value; index += 1
    case "--url": options.url = value; index += 1
    case "--server-pid": options.serverPID = Int32(value); index += 1
    case "--no-pin": options.pin = false
    case "--idle-warmup": options.idleWarmup = Int(value) ?? options.idleWarmup; index += 1
    case "--workers": options.workers = max(1, Int(value) ?? 1); index += 1
    case "--tls": options.tls = true
    case "--rate": options.rate = Int(value); index += 1
    default:
        print("unknown argument \(argument)")
        exit(2)
    }
    index += 1
}
if !chosen.isEmpty { options.scenarios = chosen }
ResourceLimits.raiseOpenFiles()

/// With --tls: the certificates the child server serves, and the clients' context.
var serverTLSArguments: [String] = []
if options.tls {
    let certificates = try BenchTLS.makeCertificates()
    serverTLSArguments = ["--tls-cert", certificates + "/server.pem", "--tls-key", certificates + "/server.key"]
    let context = try TLSContext(clientCAFile: certificates + "/ca.pem")
    await Task { @LoopActor in BenchTLS.client = context }.value
}

/// Starts the bench server in a child process on a free port and waits until it listens.
func startChildServer(pin: Bool, workers: Int, arguments extra: [String] = []) async throws -> (Process, Int) {
    let port = try await ClusterBench.freePort()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    process.arguments = ["serve", "--port", String(port)] + extra + (workers > 1 ? ["--workers", String(workers)] : [])
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    if pin && workers == 1 && ResourceLimits.cpuCount >= 2 {
        ResourceLimits.pin(pid: process.processIdentifier, cpu: 0)
        ResourceLimits.pin(pid: getpid(), cpu: 1)
    }
    for _ in 0..<300 {
        let ready = await Task { @LoopActor in
            guard let stream = try? await TCPStream.connect(to: SocketAddress(host: "127.0.0.1", port: port)) else { return false }
            stream.close()
            return true
        }.value
        if ready { return (process, port) }
        try await Task.sleep(for: .milliseconds(20))
    }
    process.terminate()
    throw BenchSocket.Failure.handshake("the bench server did not start")
}

var child: Process?
var port: Int
var serverPID = options.serverPID
if let url = options.url {
    guard let parsed = URL(string: url), let urlPort = parsed.port else {
        print("--url needs http://127.0.0.1:PORT")
        exit(2)
    }
    port = urlPort
} else {
    let (process, childPort) = try await startChildServer(pin: options.pin, workers: options.workers, arguments: serverTLSArguments)
    child = process
    port = childPort
    serverPID = process.processIdentifier
}

let target = options.url ?? "Flagon bench server (child process, pid \(serverPID.map(String.init) ?? "?")"
    + (options.workers > 1 ? ", \(options.workers) workers" : "") + (options.tls ? ", over TLS" : "") + ")"
let header = "bench against \(target): \(options.reps) reps x \(options.duration) s after \(options.warmup) s warm-up"
    + (options.pin && options.url == nil && options.workers == 1 ? ", server pinned to CPU 0, generator to CPU 1" : "")
print(header)
var results: [ScenarioResult] = []
for scenario in options.scenarios {
    if ["cluster", "cluster-modes", "recovery", "metrics", "compression"].contains(scenario) {
        let group = switch scenario {
        case "cluster": await ClusterBench(options: options).run()
        case "cluster-modes": await ClusterBench(options: options).runModes()
        case "recovery": await RecoveryBench(options: options).run()
        case "compression": await CompressionBench(options: options).run()
        default: (try? await OnOffBench(options: options, flag: "--metrics", label: "metrics").run()) ?? []
        }
        for result in group {
            let median = result.median { $0.throughput }.map { String(format: "%.1f", $0) } ?? (result.error ?? "–")
            print("  \(result.name): \(median) \(result.unit)")
            results.append(result)
        }
        continue
    }
    if scenario.hasPrefix("idle"), let running = child {
        // Memory per connection is only meaningful from a fresh process: freed memory is reused.
        running.terminate()
        running.waitUntilExit()
        let (process, childPort) = try await startChildServer(pin: options.pin, workers: options.workers, arguments: serverTLSArguments)
        child = process
        port = childPort
        serverPID = process.processIdentifier
        try await Task.sleep(for: .milliseconds(300))   // the workers start
    } else if scenario.hasPrefix("idle") {
        print("  note: idle figures are exact only against a freshly started server")
    }
    let runner = BenchRunner(options: options, port: port, serverPID: serverPID)
    let result = await runner.run(scenario)
    let median = result.median { $0.throughput }.map { String(format: "%.1f", $0) } ?? (result.error ?? "–")
    print("  \(scenario): \(median) \(result.unit)")
    results.append(result)
}
if let child {
    child.terminate()
    child.waitUntilExit()
}
Report.write(results, header: header, jsonPath: options.jsonPath)
