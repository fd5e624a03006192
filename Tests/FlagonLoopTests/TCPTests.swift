import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import FlagonLoop

@LoopActor
private final class EchoServer {
    let handles = HandleGroup()
    var listener: TCPListener?
    var streams: [ObjectIdentifier: TCPStream] = [:]

    func start(host: String) throws -> Int {
        let listener = try TCPListener(host: host, port: 0, group: handles) { [weak self] stream in
            guard let self else { return }
            let id = ObjectIdentifier(stream)
            streams[id] = stream
            stream.onRead = { bytes in stream.write(bytes) }
            stream.onClose = { [weak self] _ in self?.streams[id] = nil }
            stream.startReading()
        }
        self.listener = listener
        return listener.port
    }

    func closeAll() {
        listener?.close()
        for stream in streams.values { stream.close() }
    }
}

@LoopActor
private func readExactly(_ stream: TCPStream, count: Int) async -> [UInt8] {
    await withCheckedContinuation { continuation in
        var received: [UInt8] = []
        var done = false
        stream.onRead = { bytes in
            received.append(contentsOf: bytes)
            if received.count >= count && !done {
                done = true
                continuation.resume(returning: received)
            }
        }
        stream.onClose = { _ in
            if !done { done = true; continuation.resume(returning: received) }
        }
        stream.startReading()
    }
}

@Suite struct TCPTests {
    @Test(arguments: ["127.0.0.1", "::1"])
    @LoopActor func echoRoundTripOverIPv4AndIPv6(host: String) async throws {
        let server = EchoServer()
        let port = try server.start(host: host)
        let client = try await TCPStream.connect(to: SocketAddress(host: host, port: port))
        let payload = (0..<200_000).map { UInt8(truncatingIfNeeded: $0) }
        client.write(payload)
        let echoed = await readExactly(client, count: payload.count)
        #expect(echoed == payload)
        client.close()
        server.closeAll()
    }

    @Test @LoopActor func closingAServerWithOpenConnectionsLeavesNoLiveHandles() async throws {
        let server = EchoServer()
        let port = try server.start(host: "127.0.0.1")
        var clients: [TCPStream] = []
        for _ in 0..<5 {
            let client = try await TCPStream.connect(to: SocketAddress(host: "127.0.0.1", port: port))
            client.write(Array("ping".utf8))
            _ = await readExactly(client, count: 4)
            clients.append(client)
        }
        #expect(server.handles.openCount == 6)   // listener + five accepted streams
        server.closeAll()
        await server.handles.waitUntilEmpty()
        #expect(server.handles.openCount == 0)
        for client in clients { client.close() }
    }

    @Test @LoopActor func reusePortLetsTwoListenersShareAPort() throws {
        let first = try TCPListener(host: "127.0.0.1", port: 0, reusePort: true) { $0.close() }
        let second = try TCPListener(host: "127.0.0.1", port: first.port, reusePort: true) { $0.close() }
        #expect(second.port == first.port)
        first.close()
        second.close()
    }

    @Test @LoopActor func bindingABusyPortWithoutReusePortFails() throws {
        let first = try TCPListener(host: "127.0.0.1", port: 0) { $0.close() }
        #expect(throws: UVError.self) {
            _ = try TCPListener(host: "127.0.0.1", port: first.port) { $0.close() }
        }
        first.close()
    }

    @Test @LoopActor func connectingToAClosedPortReportsTheError() async throws {
        // A port held by a socket that is bound but does not listen: refused, and no test
        // running beside this one can take it meanwhile.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(holder >= 0)
        defer { Glibc.close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, length) == 0 && getsockname(holder, $0, &length) == 0 }
        }
        #expect(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        await #expect(throws: UVError.self) {
            _ = try await TCPStream.connect(to: SocketAddress(host: "127.0.0.1", port: port))
        }
    }

    @Test @LoopActor func halfCloseDeliversEndOfFileAfterTheData() async throws {
        var sawEOF = false
        let listener = try TCPListener(host: "127.0.0.1", port: 0) { stream in
            stream.write(Array("bye".utf8))
            stream.shutdown()
            stream.onEndOfFile = { stream.close() }
            stream.startReading()
        }
        let client = try await TCPStream.connect(to: SocketAddress(host: "127.0.0.1", port: listener.port))
        let bytes: [UInt8] = await withCheckedContinuation { continuation in
            var got: [UInt8] = []
            client.onRead = { got.append(contentsOf: $0) }
            client.onEndOfFile = { sawEOF = true; client.close(); continuation.resume(returning: got) }
            client.startReading()
        }
        #expect(String(decoding: bytes, as: UTF8.self) == "bye")
        #expect(sawEOF)
        listener.close()
    }

    /// A connect that has not completed when its timeout fires gives up with ETIMEDOUT (a
    /// timeout of 0 fires before the loop polls for the connection's completion); with time
    /// enough, the same connect succeeds.
    @Test @LoopActor func aConnectGivesUpAtItsTimeout() async throws {
        let listener = try TCPListener(host: "127.0.0.1", port: 0) { $0.close() }
        defer { listener.close() }
        let address = try SocketAddress(host: "127.0.0.1", port: listener.port)
        do {
            let stream = try await TCPStream.connect(to: address, timeoutMilliseconds: 0)
            stream.close()
            Issue.record("connected within a zero timeout")
        } catch {
            #expect(error.name == "ETIMEDOUT")
        }
        let stream = try await TCPStream.connect(to: address, timeoutMilliseconds: 2000)
        stream.close()
    }
}
