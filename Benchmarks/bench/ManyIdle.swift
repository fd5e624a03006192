import FlagonLoop
import Foundation

/// `bench idle-many`: many idle WebSocket connections on one server with workers, beyond
/// what one process may open (`ulimit -n`) and one address has ephemeral ports. The server
/// runs `--workers` workers; `--generators` child processes (`bench hold`) each open their
/// share of the connections from a loopback address of their own (127.0.0.2, 127.0.0.3, …)
/// and keep them open; the server's RSS (supervisor and workers) and CPU while idle are read
/// from /proc.
///
///     bench idle-many --connections 100000 --workers 6 --generators 6 --duration 20
enum ManyIdle {
    struct Settings {
        var connections = 100_000
        var workers = 6
        var generators = 6
        var duration = 20.0
    }

    static func run(_ settings: Settings) async throws {
        let port = try await ClusterBench.freePort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        server.arguments = ["serve", "--port", String(port), "--workers", String(settings.workers)]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        try await Task.sleep(for: .milliseconds(1500))
        let pid = server.processIdentifier
        let baseline = ResourceLimits.residentKBWithChildren(pid: pid) ?? 0
        let share = (settings.connections + settings.generators - 1) / settings.generators
        print("server: \(settings.workers) workers, RSS \(baseline / 1024) MB at start; \(settings.generators) generators of \(share) connections")
        var generators: [(Process, Pipe)] = []
        let started = Date()
        for index in 0..<settings.generators {
            let generator = Process()
            let pipe = Pipe()
            generator.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            generator.arguments = ["hold", "--port", String(port), "--count", String(share), "--source", "127.0.0.\(index + 2)",
                                   "--seconds", String(settings.duration + 120)]
            generator.standardOutput = pipe
            try generator.run()
            generators.append((generator, pipe))
        }
        defer {
            for (generator, _) in generators where generator.isRunning { generator.terminate() }
        }
        // Each generator prints one line once its connections are open (or why they are not).
        var opened = 0
        for (index, (_, pipe)) in generators.enumerated() {
            let line = String(decoding: pipe.fileHandleForReading.availableDataLine(), as: UTF8.self)
            print("  generator \(index): \(line)")
            opened += Int(line.split(separator: " ").first ?? "") ?? 0
        }
        let openSeconds = Date().timeIntervalSince(started)
        try await Task.sleep(for: .seconds(2))
        let cpuBefore = ResourceLimits.cpuSeconds(pid: pid) ?? 0
        let rssOpen = ResourceLimits.residentKBWithChildren(pid: pid) ?? 0
        try await Task.sleep(for: .seconds(settings.duration))
        let cpuIdle = (ResourceLimits.cpuSeconds(pid: pid) ?? 0) - cpuBefore
        let rssAfter = ResourceLimits.residentKBWithChildren(pid: pid) ?? 0
        let perConnection = Double(rssAfter - baseline) / Double(max(opened, 1))
        print(String(format: "%d connections open in %.1f s; server RSS %d MB (%.2f KB per connection over the start); "
                     + "idle for %.0f s: %.2f CPU s (%.1f %% of one core, pings every 25 s included)",
                     opened, openSeconds, rssAfter / 1024, perConnection, settings.duration, cpuIdle,
                     cpuIdle / settings.duration * 100))
        _ = rssOpen
    }

    /// `bench hold`: opens `count` connections from `source` and keeps them until `seconds` pass.
    @LoopActor
    static func hold(port: Int, count: Int, source: String, seconds: Double) async {
        ResourceLimits.raiseOpenFiles()
        do {
            let sockets = try await openSockets(count, port: port, parallel: 200, source: source, retries: 20)
            FileHandle.standardOutput.write(Data("\(sockets.count) open from \(source)\n".utf8))
            try await Task.sleep(for: .seconds(seconds))
            for socket in sockets { socket.close() }
        } catch {
            FileHandle.standardOutput.write(Data("0 failed from \(source): \(error)\n".utf8))
        }
    }
}

extension FileHandle {
    /// Reads up to and including the next newline (blocking).
    func availableDataLine() -> [UInt8] {
        var line: [UInt8] = []
        while true {
            let byte = readData(ofLength: 1)
            guard let first = byte.first else { return line }
            if first == UInt8(ascii: "\n") { return line }
            line.append(first)
        }
    }
}
