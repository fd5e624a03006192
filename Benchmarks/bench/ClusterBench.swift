import FlagonLoop
import Foundation

/// `cluster`: two bench servers in child processes sharing a redis-server of the bench's
/// own. 1,000 receivers in room "bench", half on each server, one sender on the first:
/// fan-out at capacity (window 8, paced end to end by a receiver on the second server, so
/// that neither server falls behind unboundedly) and at 100 fanouts/s (delivery latency over
/// every receiver). Then the CPU of a server with no client at all while the other floods a
/// room at capacity: with targeted routing (it does not even receive the room's messages)
/// and with Node's pattern routing (CPU milliseconds per second of the idle server).
@LoopActor
struct ClusterBench {
    nonisolated static let redisBinary = "/usr/bin/redis-server"
    nonisolated static var available: Bool { FileManager.default.isExecutableFile(atPath: redisBinary) }

    let options: BenchOptions

    func run() async -> [ScenarioResult] {
        guard Self.available else { return [ScenarioResult(name: "cluster", unit: "", reps: [], error: "needs \(Self.redisBinary)")] }
        var children: [Process] = []
        defer { Self.stop(children) }
        do {
            let (redis, url) = try await Self.startRedis()
            children.append(redis)
            let (a, aPort) = try await Self.startServer(redis: url)
            children.append(a)
            let (b, bPort) = try await Self.startServer(redis: url)
            children.append(b)
            var results = [try await fanout(aPort: aPort, bPort: bPort, pids: [a.processIdentifier, b.processIdentifier], capacity: true),
                           try await fanout(aPort: aPort, bPort: bPort, pids: [a.processIdentifier, b.processIdentifier], capacity: false)]
            b.terminate()
            b.waitUntilExit()
            for routing in ["targeted", "pattern"] {
                let (idle, _) = try await Self.startServer(redis: url, routing: routing)
                children.append(idle)
                results.append(try await idleServerCPU(floodPort: aPort, idlePID: idle.processIdentifier, routing: routing))
                idle.terminate()
                idle.waitUntilExit()
            }
            return results
        } catch {
            return [ScenarioResult(name: "cluster", unit: "", reps: [], error: String(describing: error))]
        }
    }

    /// `cluster-modes`: the fan-out at capacity with classic pub/sub, with sharded pub/sub
    /// (static, dynamic) and over TLS to Redis (`rediss://`, a CA of the bench's own): the
    /// CPU per delivery of each, measured one after the other in one run.
    func runModes() async -> [ScenarioResult] {
        guard Self.available else { return [ScenarioResult(name: "cluster-modes", unit: "", reps: [], error: "needs \(Self.redisBinary)")] }
        var results: [ScenarioResult] = []
        let variants: [(label: String, tls: Bool, extra: [String])] = [
            ("classic", false, []), ("sharded static", false, ["--redis-sharded", "static"]),
            ("sharded dynamic", false, ["--redis-sharded", "dynamic"]), ("classic over TLS", true, []),
        ]
        for variant in variants {
            var children: [Process] = []
            defer { Self.stop(children) }
            do {
                var extra = variant.extra
                let certificates = variant.tls ? try BenchTLS.makeCertificates() : nil
                if let certificates { extra += ["--redis-ca", certificates + "/ca.pem"] }
                let (redis, url) = try await Self.startRedis(tlsCertificates: certificates)
                children.append(redis)
                let (a, aPort) = try await Self.startServer(redis: url, extra: extra)
                children.append(a)
                let (b, bPort) = try await Self.startServer(redis: url, extra: extra)
                children.append(b)
                var result = try await fanout(aPort: aPort, bPort: bPort, pids: [a.processIdentifier, b.processIdentifier], capacity: true)
                result.name = "cluster fanout-capacity, \(variant.label) (2 servers + Redis, 500 + 500 receivers; CPU of both servers)"
                results.append(result)
            } catch {
                results.append(ScenarioResult(name: "cluster-modes \(variant.label)", unit: "", reps: [], error: String(describing: error)))
            }
        }
        return results
    }

    private func fanout(aPort: Int, bPort: Int, pids: [Int32], capacity: Bool) async throws -> ScenarioResult {
        let onA = try await openSockets(500, port: aPort)
        let onB = try await openSockets(500, port: bPort)
        let sender = try await BenchSocket.connect(port: aPort)
        let load = FanoutLoad()
        await load.join(onA + onB)
        await LoopTimer.sleep(milliseconds: 300)   // the room's subscriptions reach Redis
        load.listen(onA + onB, measureLatency: !capacity)
        var perServer = [0, 0]
        for (index, group) in [onA, onB].enumerated() {
            for receiver in group {
                let counting = receiver.onMessage
                receiver.onMessage = { message in
                    perServer[index] += 1
                    counting?(message)
                }
            }
        }
        if capacity {
            load.startCapacity(sender, window: 8, pacer: onB[0])
        } else {
            load.startSteady(sender, rate: 100)
        }
        var measurer = Measurer(serverPID: pids[0], duration: options.duration, reps: options.reps, warmup: options.warmup)
        measurer.otherPIDs = Array(pids.dropFirst())
        let reps = await measurer.measure(load, latency: !capacity)
        print("    deliveries on A / B: \(perServer[0]) / \(perServer[1])")
        load.stop()
        sender.close()
        for receiver in onA + onB { receiver.close() }
        await LoopTimer.sleep(milliseconds: 500)
        let name = capacity ? "cluster fanout-capacity (2 servers + Redis, 500 + 500 receivers, window 8 end to end; CPU of both servers)"
            : "cluster fanout-steady (2 servers + Redis, 500 + 500 receivers, 100 msg/s)"
        return ScenarioResult(name: name, unit: "deliveries/s", reps: reps)
    }

    /// The idle server's CPU time while the other floods room "bench" (its 10 members are
    /// all on the flooding server) with as many emits as it can.
    private func idleServerCPU(floodPort: Int, idlePID: Int32, routing: String) async throws -> ScenarioResult {
        let members = 10
        let receivers = try await openSockets(members, port: floodPort)
        let sender = try await BenchSocket.connect(port: floodPort)
        let load = FanoutLoad()
        await load.join(receivers)
        load.listen(receivers, measureLatency: false)
        load.startCapacity(sender, window: 32)
        await LoopTimer.sleep(milliseconds: UInt64(options.warmup * 1000))
        var reps: [RepResult] = []
        for _ in 0..<options.reps {
            load.reset()
            let cpuStart = ResourceLimits.cpuSeconds(pid: idlePID) ?? 0
            let wallStart = ResourceLimits.nowMicros()
            await LoopTimer.sleep(milliseconds: UInt64(options.duration * 1000))
            let wall = Double(ResourceLimits.nowMicros() - wallStart) / 1e6
            let cpu = (ResourceLimits.cpuSeconds(pid: idlePID) ?? 0) - cpuStart
            let floods = Double(load.completed) / Double(members) / wall
            reps.append(RepResult(throughput: cpu / wall * 1000, generatorCPUShare: 0,
                                  note: String(format: "%.0f room emits/s published by the other server", floods)))
        }
        load.stop()
        sender.close()
        for receiver in receivers { receiver.close() }
        await LoopTimer.sleep(milliseconds: 500)
        return ScenarioResult(name: "cluster idle server, \(routing) routing, while another floods a room it has no member of",
                              unit: "CPU ms/s", reps: reps)
    }

    static func startServer(redis: String, routing: String = "targeted", extra: [String] = []) async throws -> (Process, Int) {
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["serve", "--port", String(port), "--redis", redis, "--routing", routing] + extra
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        try await waitForPort(port)
        return (process, port)
    }

    /// A redis-server of the bench's own on a free port, without persistence; its URL. With
    /// `tlsCertificates` (a folder of scripts/make-test-certs), it serves TLS only (`rediss://`).
    static func startRedis(tlsCertificates: String? = nil) async throws -> (Process, String) {
        let port = try freePort()
        let redis = Process()
        redis.executableURL = URL(fileURLWithPath: redisBinary)
        redis.arguments = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        if let folder = tlsCertificates {
            redis.arguments! += ["--port", "0", "--tls-port", String(port), "--tls-cert-file", folder + "/server.pem",
                                 "--tls-key-file", folder + "/server.key", "--tls-ca-cert-file", folder + "/ca.pem", "--tls-auth-clients", "no"]
        } else {
            redis.arguments! += ["--port", String(port)]
        }
        redis.standardOutput = FileHandle.nullDevice
        try redis.run()
        do {
            try await waitForPort(port)
        } catch {
            redis.terminate()
            throw error
        }
        return (redis, (tlsCertificates == nil ? "redis" : "rediss") + "://127.0.0.1:\(port)")
    }

    /// Stops the processes a run started (those still running).
    static func stop(_ children: [Process]) {
        for child in children where child.isRunning {
            child.terminate()
            child.waitUntilExit()
        }
    }

    /// A port nothing listens on now (the kernel's choice).
    static func freePort() throws -> Int {
        let listener = try TCPListener(host: "127.0.0.1", port: 0) { $0.close() }
        defer { listener.close() }
        return listener.port
    }

    static func waitForPort(_ port: Int) async throws {
        for _ in 0..<300 {
            if let stream = try? await TCPStream.connect(to: SocketAddress(host: "127.0.0.1", port: port)) {
                stream.close()
                return
            }
            await LoopTimer.sleep(milliseconds: 20)
        }
        throw BenchSocket.Failure.handshake("nothing listens on \(port)")
    }
}
