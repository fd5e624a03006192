import FlagonLoop
import Foundation
import Testing

/// Listeners beyond one IPv4 address: unix-domain sockets (their files: made with the
/// permissions asked for, a stale one replaced, a live or foreign one refused, removed at
/// close) and IPv6 with and without IPv4 on the same socket.
@Suite struct ListenerKindsTests {
    private func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("flagon-\(name)-\(UUID().uuidString.prefix(8)).sock").path
    }

    @LoopActor private func echo(_ stream: TCPStream) {
        stream.onRead = { bytes in stream.write(Array(bytes)) }
        stream.onEndOfFile = { stream.close() }
        stream.startReading()
    }

    @LoopActor private func roundTrip(_ client: TCPStream, _ text: String) async -> String {
        await withCheckedContinuation { continuation in
            var got: [UInt8] = []
            var done = false
            client.onRead = { bytes in
                got.append(contentsOf: bytes)
                if !done && got.count >= text.utf8.count {
                    done = true
                    continuation.resume(returning: String(decoding: got, as: UTF8.self))
                }
            }
            client.startReading()
            client.write(Array(text.utf8))
        }
    }

    @Test @LoopActor func aUnixSocketListenerEchoesAndCleansUp() async throws {
        let path = temporaryPath("listen")
        var accepted: TCPStream?
        let listener = try TCPListener(unixPath: path, permissions: 0o600) { [self] stream in
            accepted = stream
            echo(stream)
        }
        #expect(listener.isUnixSocket && listener.port == 0 && listener.endpoint == "unix:" + path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let client = try await TCPStream.connect(unixPath: path, timeoutMilliseconds: 2000)
        #expect(await roundTrip(client, "over a unix socket") == "over a unix socket")
        #expect(accepted?.isUnixSocket == true && accepted?.remoteAddress == nil)
        // A second server on the same live path is refused; the first keeps its file.
        #expect(throws: UVError.self) { _ = try TCPListener(unixPath: path) { $0.close() } }
        #expect(FileManager.default.fileExists(atPath: path))
        client.close()
        listener.close()
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test @LoopActor func aStaleSocketFileIsReplacedAndAnotherFileIsNot() throws {
        // A socket file nobody listens on, as a server that died leaves it.
        let stale = temporaryPath("stale")
        let descriptor = try TCPListener.openSharedSocket(unixPath: stale)
        close(descriptor)
        #expect(FileManager.default.fileExists(atPath: stale))
        let listener = try TCPListener(unixPath: stale) { $0.close() }
        listener.close()

        let regular = temporaryPath("regular")
        #expect(FileManager.default.createFile(atPath: regular, contents: Data("keep me".utf8)))
        defer { try? FileManager.default.removeItem(atPath: regular) }
        #expect(throws: UVError.self) { _ = try TCPListener(unixPath: regular) { $0.close() } }
        #expect(FileManager.default.contents(atPath: regular) == Data("keep me".utf8))
    }

    @Test @LoopActor func anInheritedUnixSocketIsListenedOnAsOne() async throws {
        let path = temporaryPath("shared")
        let descriptor = try TCPListener.openSharedSocket(unixPath: path)
        defer { unlink(path) }
        let listener = try TCPListener(descriptor: descriptor) { [self] stream in echo(stream) }
        #expect(listener.isUnixSocket && listener.path == path)
        let client = try await TCPStream.connect(unixPath: path, timeoutMilliseconds: 2000)
        #expect(await roundTrip(client, "inherited") == "inherited")
        client.close()
        listener.close()
        #expect(FileManager.default.fileExists(atPath: path))   // the opener removes it
    }

    @Test @LoopActor func ipv6WithAndWithoutIPv4() async throws {
        let dual = try TCPListener(host: "::", port: 0) { [self] stream in echo(stream) }
        defer { dual.close() }
        let overIPv4 = try await TCPStream.connect(to: SocketAddress(host: "127.0.0.1", port: dual.port), timeoutMilliseconds: 2000)
        #expect(await roundTrip(overIPv4, "v4 on a dual-stack socket") == "v4 on a dual-stack socket")
        overIPv4.close()

        let only = try TCPListener(host: "::", port: 0, ipv6Only: true) { [self] stream in echo(stream) }
        defer { only.close() }
        let overIPv6 = try await TCPStream.connect(to: SocketAddress(host: "::1", port: only.port), timeoutMilliseconds: 2000)
        #expect(await roundTrip(overIPv6, "v6") == "v6")
        overIPv6.close()
        await #expect(throws: UVError.self) {
            _ = try await TCPStream.connect(to: SocketAddress(host: "127.0.0.1", port: only.port), timeoutMilliseconds: 2000)
        }
        // IPv4 on the same port beside it: the IPv6-only socket leaves it free.
        let beside = try TCPListener(host: "0.0.0.0", port: only.port) { $0.close() }
        beside.close()
    }
}
