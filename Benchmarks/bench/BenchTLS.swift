import FlagonLoop
import FlagonTLS
import Foundation

/// TLS for the load (`bench --tls`): a throwaway CA and server certificate made by
/// scripts/make-test-certs, served by the bench server and verified by every client, which
/// makes a full handshake per connection (no session resumption).
@LoopActor
enum BenchTLS {
    /// The clients' context; `nil`: plain TCP.
    static var client: TLSContext?

    /// Makes the certificates in a fresh folder and returns it.
    nonisolated static func makeCertificates() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flagon-bench-tls-\(UUID().uuidString.prefix(8))").path
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = root.appendingPathComponent("scripts/make-test-certs")
        process.arguments = [directory]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchSocket.Failure.handshake("scripts/make-test-certs failed") }
        return directory
    }

    /// Secures a client stream when the load runs over TLS.
    static func secure(_ stream: TCPStream) throws {
        guard let client else { return }
        let engine = TLSEngine(context: client, serverName: "localhost")
        try engine.startHandshake()
        stream.secure(with: engine, handshakeTimeoutMilliseconds: 10_000)
    }
}
