import FlagonLoop
import FlagonTesting
import Foundation
import Testing

/// One of the package's server executables (`conformance-server`, `demo`) in a child process
/// (its own event loop, so timing checks are not disturbed by the other tests), on a free
/// loopback port.
final class ServerProcess: @unchecked Sendable {
    let port: Int
    let process: Process

    init(port: Int, process: Process) {
        self.port = port
        self.process = process
    }

    static func binary(_ name: String) -> URL {
        ExternalProcess.packageRoot.appendingPathComponent(".build/debug/\(name)")
    }

    /// Starts the executable and waits until it accepts connections.
    static func start(_ name: String = "conformance-server", environment extra: [String: String] = [:]) async throws -> ServerProcess {
        let binary = binary(name)
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw ExternalProcess.MissingTool(path: binary.path + " (run `swift build` first; scripts/test does)")
        }
        let port = try TestPorts.reserve()
        let process = Process()
        process.executableURL = binary
        var environment = ProcessInfo.processInfo.environment
        environment["PORT"] = String(port)
        environment.merge(extra) { $1 }
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let server = ServerProcess(port: port, process: process)
        for _ in 0..<500 {
            if await canConnect(port: port) { return server }
            try await Task.sleep(for: .milliseconds(10))
        }
        server.stop()
        throw ExternalProcess.MissingTool(path: "\(name) did not start on port \(port)")
    }

    /// Stops the server (SIGTERM, a graceful shutdown) and waits for it; one that has not
    /// stopped after 20 s is killed (and recorded as a failure): a test never hangs on it.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            Issue.record("the server did not stop within 20 s of SIGTERM")
            kill(-process.processIdentifier, SIGKILL)
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
    }

    @LoopActor
    static func canConnect(port: Int) async -> Bool {
        guard let connection = try? await RawConnection.open(port: port) else { return false }
        connection.close()
        return true
    }
}
