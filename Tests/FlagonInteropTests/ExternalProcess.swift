import Foundation

/// Runs a helper program (a Python interop client, the WebSocket fuzzer) with a time limit
/// and collects what it prints.
struct ExternalProcess {
    struct Outcome {
        let status: Int32
        let output: String
        let timedOut: Bool
    }

    /// The package's root folder.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The interop virtualenv's Python, made by `scripts/setup-interop`.
    static var python: URL { packageRoot.appendingPathComponent(".venv/bin/python") }

    /// A program of the interop virtualenv.
    static func venvTool(_ name: String) -> URL { packageRoot.appendingPathComponent(".venv/bin/\(name)") }

    /// A fresh folder of test certificates (a CA, server, renewed, other and client pairs) made
    /// by scripts/make-test-certs; the caller removes it. Runs openssl on the calling thread:
    /// call it off the loop, whose servers other suites share.
    static func makeTestCertificates(prefix: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        let process = Process()
        process.executableURL = packageRoot.appendingPathComponent("scripts/make-test-certs")
        process.arguments = [directory]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failed(what: "scripts/make-test-certs", status: process.terminationStatus) }
        return directory
    }

    static func interopScript(_ name: String) -> String {
        packageRoot.appendingPathComponent("Tests/Interop/\(name)").path
    }

    /// Runs `executable` with `arguments`, killing it after `timeout` seconds.
    static func run(_ executable: URL, _ arguments: [String], timeout: TimeInterval,
                    workingDirectory: URL? = nil, environment extra: [String: String] = [:]) async throws -> Outcome {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw MissingTool(path: executable.path)
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if !extra.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 } }
        process.currentDirectoryURL = workingDirectory ?? packageRoot.appendingPathComponent("Tests/Interop")
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let collector = OutputCollector()
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { collector.append(data) }
        }
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        let timedOut = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let result = finished.wait(timeout: .now() + timeout)
                if result == .timedOut {
                    process.terminate()
                    finished.wait()
                }
                continuation.resume(returning: result == .timedOut)
            }
        }
        pipe.fileHandleForReading.readabilityHandler = nil
        collector.append(pipe.fileHandleForReading.readDataToEndOfFile())
        return Outcome(status: process.terminationStatus, output: collector.text, timedOut: timedOut)
    }

    struct Failed: Error, CustomStringConvertible {
        let what: String
        let status: Int32
        var description: String { "\(what) exited with status \(status)" }
    }

    struct MissingTool: Error, CustomStringConvertible {
        let path: String
        var description: String { "\(path) is missing: run scripts/test (or scripts/setup-interop) to install the interop peers" }
    }
}

/// Thread-safe accumulation of a child's output.
final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    func append(_ more: Data) {
        lock.lock()
        data.append(more)
        lock.unlock()
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }
}
