import CSSL
@testable import FlagonTLS
import Testing

/// Two engines talking through memory: the handshake, data both ways, and every refusal.
@Suite struct TLSEngineTests {
    let serverContext: TLSContext

    init() throws {
        serverContext = try TLSContext(
            server: TLSCertificate(certificateFile: TestCertificates.path("server.pem"), privateKeyFile: TestCertificates.path("server.key")),
            byServerName: [TLSCertificate(certificateFile: TestCertificates.path("other.pem"), privateKeyFile: TestCertificates.path("other.key"),
                                          serverNames: ["other.test", "*.other.test"])]
        )
    }

    func client(_ name: String = "localhost", protocols: [String] = ["http/1.1"]) throws -> TLSEngine {
        let context = try TLSContext(clientCAFile: TestCertificates.path("ca.pem"), applicationProtocols: protocols)
        return TLSEngine(context: context, serverName: name)
    }

    /// A client for `name` and a server, the client's first flight (its hello) made.
    func pair(_ name: String = "localhost", protocols: [String] = ["http/1.1"]) throws -> (TLSEngine, TLSEngine) {
        let client = try client(name, protocols: protocols)
        try client.startHandshake()
        return (client, TLSEngine(context: serverContext))
    }

    /// Moves wire bytes between the two until neither has any; returns what each delivered.
    @discardableResult
    func pump(_ client: TLSEngine, _ server: TLSEngine) throws -> (client: [UInt8], server: [UInt8]) {
        var toClient: [UInt8] = [], toServer: [UInt8] = []
        for _ in 0..<20 {
            var moved = false
            var wire: [UInt8] = []
            client.takeWireBytes { wire.append(contentsOf: $0) }
            if !wire.isEmpty {
                moved = true
                try wire.withUnsafeBytes { try server.receive($0) { toServer.append(contentsOf: $0) } }
            }
            wire = []
            server.takeWireBytes { wire.append(contentsOf: $0) }
            if !wire.isEmpty {
                moved = true
                try wire.withUnsafeBytes { try client.receive($0) { toClient.append(contentsOf: $0) } }
            }
            if !moved { break }
        }
        return (toClient, toServer)
    }

    @Test func handshakeNegotiatesTLS13AndHTTP1() throws {
        let (client, server) = try pair()
        try pump(client, server)
        #expect(client.isEstablished && server.isEstablished)
        #expect(server.protocolVersion == "TLSv1.3")
        #expect(server.negotiatedProtocol == "http/1.1")
    }

    @Test func aClientOfferingOnlyH2GetsNoALPNButAConnection() throws {
        let (client, server) = try pair(protocols: ["h2"])
        try pump(client, server)
        #expect(server.isEstablished)
        #expect(server.negotiatedProtocol == nil)
    }

    @Test func bytesGoBothWaysLargeOnesInRecords() throws {
        let (client, server) = try pair()
        try pump(client, server)
        let large = (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try large.withUnsafeBytes { try client.seal($0) }
        try Array("pong".utf8).withUnsafeBytes { try server.seal($0) }
        let delivered = try pump(client, server)
        #expect(delivered.server == large)
        #expect(delivered.client == Array("pong".utf8))
    }

    @Test func closeNotifyReachesThePeer() throws {
        let (client, server) = try pair()
        try pump(client, server)
        client.closeNotify()
        try pump(client, server)
        #expect(server.peerClosed)
    }

    @Test func sniChoosesTheCertificateForTheName() throws {
        let (client, server) = try pair("chat.other.test")
        try pump(client, server)
        #expect(client.isEstablished)
        // The default certificate does not carry the name: verification would have failed.
    }

    @Test func aNameTheCertificateDoesNotCarryFailsVerification() throws {
        let (client, server) = try pair("example.com")
        #expect(throws: TLSError.self) { try pump(client, server) }
        #expect(!client.isEstablished)
    }

    @Test func anUnknownAuthorityFailsVerification() throws {
        let context = try TLSContext(clientCAFile: TestCertificates.path("server.pem"))   // not the CA
        let client = TLSEngine(context: context, serverName: "localhost")
        let server = TLSEngine(context: serverContext)
        try client.startHandshake()
        do {
            try pump(client, server)
            Issue.record("handshake succeeded")
        } catch let error as TLSError {
            #expect(error.description.contains("certificate verification failed"))
        }
    }

    @Test func plainHTTPIsNotTLS() throws {
        let server = TLSEngine(context: serverContext)
        let request = Array("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
        #expect(throws: TLSError.self) { try request.withUnsafeBytes { try server.receive($0) { _ in } } }
        // Once failed, it stays failed.
        #expect(throws: TLSError.self) { try [UInt8]([0x16]).withUnsafeBytes { try server.receive($0) { _ in } } }
    }

    @Test func aTLS11HelloIsRefused() throws {
        let context = try TLSContext(clientCAFile: TestCertificates.path("ca.pem"))
        // What an old client allows: TLS 1.0 and 1.1 only.
        #expect(flagon_ssl_ctx_set_versions(context.pointer, TLS1_VERSION, TLS1_1_VERSION) == 1)
        let client = TLSEngine(context: context, serverName: "localhost")
        let server = TLSEngine(context: serverContext)
        try? client.startHandshake()
        #expect(throws: TLSError.self) { try pump(client, server) }
        #expect(!server.isEstablished)
    }

    @Test func halfAHelloWaitsWithoutDelivering() throws {
        let (client, server) = try pair()
        var hello: [UInt8] = []
        client.takeWireBytes { hello.append(contentsOf: $0) }
        var delivered = 0
        try hello.prefix(hello.count / 2).withUnsafeBytes { try server.receive($0) { delivered += $0.count } }
        #expect(!server.isEstablished && delivered == 0 && !server.hasWireBytes)
    }

    @Test func oversizedRecordIsRefused() throws {
        let server = TLSEngine(context: serverContext)
        // A handshake record header claiming 65,535 bytes (over the 16,384 + 2,048 allowed).
        var record: [UInt8] = [0x16, 0x03, 0x03, 0xFF, 0xFF]
        record += [UInt8](repeating: 0x01, count: 20_000)
        #expect(throws: TLSError.self) { try record.withUnsafeBytes { try server.receive($0) { _ in } } }
    }

    @Test func sealingBeforeTheHandshakeIsRefused() throws {
        let server = TLSEngine(context: serverContext)
        #expect(throws: TLSError.self) { try [UInt8](repeating: 0, count: 4).withUnsafeBytes { try server.seal($0) } }
    }

    @Test func aKeyThatDoesNotMatchIsRefusedByName() {
        do {
            _ = try TLSContext(server: TLSCertificate(certificateFile: TestCertificates.path("server.pem"),
                                                      privateKeyFile: TestCertificates.path("other.key")))
            Issue.record("mismatch accepted")
        } catch {
            #expect(error.description.contains("other.key") && error.description.contains("mismatch"))
        }
    }

    @Test func aMissingFileIsNamed() {
        do {
            _ = try TLSContext(server: TLSCertificate(certificateFile: "/nonexistent/cert.pem", privateKeyFile: "/nonexistent/key.pem"))
            Issue.record("missing file accepted")
        } catch {
            #expect(error.description.contains("/nonexistent/cert.pem"))
        }
    }
}
