import Foundation

/// A redis-server of the test's own, on a free loopback port (never 6379 blindly), with no
/// persistence.
enum RedisServer {
    static let binary = "/usr/bin/redis-server"

    /// Starts redis-server and waits until it accepts connections (at most 5 s).
    static func start(port chosen: Int? = nil, arguments extra: [String] = []) async throws -> ServerProcess {
        let port: Int
        if let chosen { port = chosen } else { port = try TestPorts.reserve() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"] + extra
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let server = ServerProcess(port: port, process: process)
        for _ in 0..<100 {
            if await ServerProcess.canConnect(port: port) { return server }
            try await Task.sleep(for: .milliseconds(50))
        }
        stop(server)
        throw ExternalProcess.MissingTool(path: binary + " (did not start on port \(port))")
    }

    /// Kills the server (SIGKILL: a child of a process whose threads block SIGTERM inherits
    /// that mask, and redis-server would never see the SIGTERM) and waits for it.
    static func stop(_ server: ServerProcess) {
        if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) }
        server.process.waitUntilExit()
    }
}
