import FlagonTLS

/// The TLS entry: bytes a server reads before, inside and after a handshake, through the
/// memory BIOs. Nothing may trap; a refusal is an error; a server never delivers application
/// bytes before its handshake completed. The input's first byte chooses where the bytes go:
/// 0 from the first byte, 1 after a real ClientHello, 2 after a whole handshake.
enum TLSFuzz {
    // Certificates made by scripts/make-test-certs; scripts/fuzz names their folder.
    // Made once (a lazy global's initialization is thread-safe); TLSContext is Sendable.
    static let contexts: (server: TLSContext, client: TLSContext)? = {
        guard let directory = getenv("FLAGON_FUZZ_CERTS").map({ String(cString: $0) }) else { return nil }
        guard let server = try? TLSContext(server: TLSCertificate(certificateFile: directory + "/server.pem",
                                                                  privateKeyFile: directory + "/server.key")),
              let client = try? TLSContext(clientCAFile: directory + "/ca.pem")
        else { return nil }
        return (server, client)
    }()

    static func run(_ input: [UInt8]) {
        guard let contexts, let mode = input.first else { return }
        let server = TLSEngine(context: contexts.server)
        var delivered = 0
        func feed(_ bytes: [UInt8]) -> Bool {
            do {
                try bytes.withUnsafeBytes { try server.receive($0) { delivered += $0.count } }
                return true
            } catch {
                return false
            }
        }
        if mode % 3 != 0 {
            let client = TLSEngine(context: contexts.client, serverName: "localhost")
            try? client.startHandshake()
            var hello: [UInt8] = []
            client.takeWireBytes { hello += $0 }
            guard feed(hello) else { return check(false, "a real ClientHello was refused") }
            if mode % 3 == 2 {
                var answer: [UInt8] = []
                server.takeWireBytes { answer += $0 }
                try? answer.withUnsafeBytes { try client.receive($0) { _ in } }
                var finished: [UInt8] = []
                client.takeWireBytes { finished += $0 }
                guard feed(finished) else { return check(false, "a real handshake was refused") }
                check(server.isEstablished, "a real handshake did not complete")
            }
        }
        let wasEstablished = server.isEstablished
        for piece in pieces(Array(input.dropFirst())) where !piece.isEmpty {
            if !feed(piece) { break }
        }
        check(wasEstablished || server.isEstablished || delivered == 0, "application bytes before the handshake")
        server.takeWireBytes { _ in }
    }
}
