import FlagonLoop
import FlagonTLS
import Testing

/// TCPStream secured with TLS over loopback: echo, large writes, close_notify, a handshake
/// deadline, and bytes that are not TLS.
@Suite struct SecuredStreamTests {
    /// Makes the certificates here, off the loop: running openssl on the loop's thread would
    /// stall the other suites' servers that share it.
    init() {
        _ = Self.serverContext
        _ = Self.clientContext
    }

    @LoopActor
    final class EchoServer {
        var listener: TCPListener?
        var accepted: [TCPStream] = []
        var closeErrors: [String] = []

        init(context: TLSContext, handshakeTimeout: UInt64 = 5_000) throws {
            listener = try TCPListener(host: "127.0.0.1", port: 0) { [weak self] stream in
                guard let self else { return stream.close() }
                stream.secure(with: TLSEngine(context: context), handshakeTimeoutMilliseconds: handshakeTimeout)
                stream.onRead = { bytes in stream.write(bytes) }
                stream.onEndOfFile = { stream.shutdown() }
                stream.onClose = { [weak self] error in self?.closeErrors.append(error.map { "\($0)" } ?? "none") }
                stream.startReading()
                self.accepted.append(stream)
            }
        }

        var address: SocketAddress { get throws { try SocketAddress(host: "127.0.0.1", port: listener!.port) } }
        /// Stops listening and closes what it accepted.
        func close() {
            listener?.close()
            for stream in accepted { stream.close() }
        }
    }

    static let serverContext = try! TLSContext(server: TLSCertificate(
        certificateFile: TestCertificates.path("server.pem"), privateKeyFile: TestCertificates.path("server.key")))
    static let clientContext = try! TLSContext(clientCAFile: TestCertificates.path("ca.pem"))

    @LoopActor
    func connectSecured(_ address: SocketAddress) async throws -> (TCPStream, Received) {
        let stream = try await TCPStream.connect(to: address, timeoutMilliseconds: 2_000)
        let engine = TLSEngine(context: Self.clientContext, serverName: "127.0.0.1")
        try engine.startHandshake()
        let received = Received()
        stream.onRead = { received.bytes.append(contentsOf: $0) }
        stream.onEndOfFile = { received.ended = true }
        stream.onClose = { received.closeError = $0.map { "\($0)" } ?? "none" }
        stream.secure(with: engine, handshakeTimeoutMilliseconds: 2_000)
        stream.startReading()
        return (stream, received)
    }

    @LoopActor final class Received {
        var bytes: [UInt8] = []
        var ended = false
        var closeError: String?
    }

    @Test @LoopActor func echoesSmallAndLargeWritesAndEndsWithCloseNotify() async throws {
        let server = try EchoServer(context: Self.serverContext)
        defer { server.close() }
        let (client, received) = try await connectSecured(try server.address)
        // Written before the handshake completes: held, then sealed.
        client.write(Array("hello".utf8))
        let large = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        client.write(large)
        for _ in 0..<500 where received.bytes.count < 5 + large.count { await LoopTimer.sleep(milliseconds: 10) }
        #expect(received.bytes.count == 5 + large.count)
        #expect(received.bytes.prefix(5).elementsEqual("hello".utf8) && received.bytes.dropFirst(5).elementsEqual(large))
        client.shutdown()
        for _ in 0..<200 where !received.ended { await LoopTimer.sleep(milliseconds: 10) }
        #expect(received.ended)
        client.close()
    }

    @Test @LoopActor func aStalledHandshakeIsClosedAtTheDeadline() async throws {
        let server = try EchoServer(context: Self.serverContext, handshakeTimeout: 200)
        defer { server.close() }
        let raw = try await TCPStream.connect(to: try server.address, timeoutMilliseconds: 2_000)
        var ended = false
        raw.onEndOfFile = { ended = true }
        raw.onClose = { _ in ended = true }   // a reset, when the close found unread bytes
        raw.startReading()
        raw.write([0x16, 0x03, 0x01])   // the start of a record, then silence
        for _ in 0..<200 where !ended { await LoopTimer.sleep(milliseconds: 10) }
        #expect(ended)
        #expect(server.closeErrors.first?.contains("TLS handshake") == true)
        raw.close()
    }

    @Test @LoopActor func plainHTTPGetsAnAlertAndTheConnectionCloses() async throws {
        let server = try EchoServer(context: Self.serverContext)
        defer { server.close() }
        let raw = try await TCPStream.connect(to: try server.address, timeoutMilliseconds: 2_000)
        var reply: [UInt8] = []
        var ended = false
        raw.onRead = { reply.append(contentsOf: $0) }
        raw.onEndOfFile = { ended = true }
        raw.onClose = { _ in ended = true }
        raw.startReading()
        raw.write(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        for _ in 0..<200 where !ended { await LoopTimer.sleep(milliseconds: 10) }
        #expect(ended)
        // Nothing but (at most) a TLS alert record: no HTTP leaks out.
        #expect(reply.isEmpty || reply[0] == 0x15)
        raw.close()
    }

    @Test @LoopActor func aClientThatDistrustsTheServerCloses() async throws {
        let server = try EchoServer(context: Self.serverContext)
        defer { server.close() }
        let stream = try await TCPStream.connect(to: try server.address, timeoutMilliseconds: 2_000)
        let engine = TLSEngine(context: Self.clientContext, serverName: "wrong.example")
        try engine.startHandshake()
        var closeError: String?
        stream.onClose = { closeError = $0.map { "\($0)" } ?? "none" }
        stream.onRead = { _ in }
        stream.secure(with: engine)
        stream.startReading()
        for _ in 0..<200 where closeError == nil { await LoopTimer.sleep(milliseconds: 10) }
        #expect(closeError?.contains("certificate verification failed") == true)
    }
}
