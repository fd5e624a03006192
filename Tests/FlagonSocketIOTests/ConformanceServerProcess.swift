import FlagonLoop
import FlagonTesting
import Foundation

/// The `conformance-server` executable in a child process (its own event loop, so timing
/// checks are not disturbed by the other tests), on a free loopback port.
final class ConformanceServerProcess: @unchecked Sendable {
    let port: Int
    private let process: Process

    private init(port: Int, process: Process) {
        self.port = port
        self.process = process
    }

    static var binary: URL {
        ExternalProcess.packageRoot.appendingPathComponent(".build/debug/conformance-server")
    }

    /// Starts the server and waits until it accepts connections.
    static func start() async throws -> ConformanceServerProcess {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw ExternalProcess.MissingTool(path: binary.path + " (run `swift build` first; scripts/test does)")
        }
        let port = try await freePort()
        let process = Process()
        process.executableURL = binary
        var environment = ProcessInfo.processInfo.environment
        environment["PORT"] = String(port)
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let server = ConformanceServerProcess(port: port, process: process)
        for _ in 0..<500 {
            if await canConnect(port: port) { return server }
            try await Task.sleep(for: .milliseconds(10))
        }
        server.stop()
        throw ExternalProcess.MissingTool(path: "conformance-server did not start on port \(port)")
    }

    /// Stops the server (SIGTERM, a graceful shutdown) and waits for it.
    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    @LoopActor
    private static func freePort() throws -> Int {
        let listener = try TCPListener(host: "127.0.0.1", port: 0) { $0.close() }
        let port = listener.port
        listener.close()
        return port
    }

    @LoopActor
    private static func canConnect(port: Int) async -> Bool {
        guard let connection = try? await RawConnection.open(port: port) else { return false }
        connection.close()
        return true
    }
}
