import Foundation

/// A throwaway CA and certificates made by scripts/make-test-certs, once per test run.
enum TestCertificates {
    static let directory: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flagon-tls-\(getpid())").path
        let process = Process()
        process.executableURL = root.appendingPathComponent("scripts/make-test-certs")
        process.arguments = [directory]
        try! process.run()
        process.waitUntilExit()
        precondition(process.terminationStatus == 0, "scripts/make-test-certs failed")
        return directory
    }()

    static func path(_ name: String) -> String { directory + "/" + name }
}
