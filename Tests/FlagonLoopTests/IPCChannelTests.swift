import Testing
@testable import FlagonLoop
#if canImport(Glibc)
import Glibc
#endif

/// A TCP connection handed over a local channel: the receiver serves it, the sender's
/// handle is closed, and the client sees one connection throughout.
@Suite struct IPCChannelTests {
    @LoopActor
    private final class Box<T> {
        var value: T
        init(_ value: T) { self.value = value }
    }

    @Test @LoopActor func anOpenConnectionAndItsBytesCrossAChannel() async throws {
        let path = "/tmp/flagon-ipc-test-\(getpid()).sock"
        let received = Box<[UInt8]>([])
        let adopted = Box<TCPStream?>(nil)
        let arrived = Box<CheckedContinuation<Void, Never>?>(nil)
        var accepted: [IPCChannel] = []
        let ipcListener = try IPCListener(path: path) { channel in
            accepted.append(channel)
            channel.onRead = { bytes in
                received.value += bytes
                if received.value.count == 5, let stream = channel.acceptPendingStream() {
                    adopted.value = stream
                    arrived.value?.resume()
                    arrived.value = nil
                }
            }
            channel.startReading()
        }
        // The connection to hand over: the server side of a loopback pair.
        let serverSide = Box<TCPStream?>(nil)
        let tcpListener = try TCPListener(host: "127.0.0.1", port: 0) { serverSide.value = $0 }
        let client = try await TCPStream.connect(to: SocketAddress(host: "127.0.0.1", port: tcpListener.port))
        for _ in 0..<200 where serverSide.value == nil { await LoopTimer.sleep(milliseconds: 5) }
        let original = try #require(serverSide.value)

        let sender = try await IPCChannel.connect(path: path)
        let sent = Box<Bool?>(nil)
        await withCheckedContinuation { continuation in
            arrived.value = continuation
            sender.write(Array("hello".utf8), sending: original) { sent.value = $0 }
        }
        #expect(sent.value == true)
        #expect(received.value == Array("hello".utf8))
        original.close()   // the sender's copy; the connection stays open in the receiver

        let stream = try #require(adopted.value)
        var echoed: [UInt8] = []
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            var done = false
            stream.onRead = { bytes in stream.write(Array(bytes)) }
            stream.startReading()
            client.onRead = { bytes in
                echoed += bytes
                if echoed.count >= 4 && !done {
                    done = true
                    continuation.resume()
                }
            }
            client.startReading()
            client.write(Array("ping".utf8))
        }
        #expect(echoed == Array("ping".utf8))
        #expect(stream.remoteAddress?.port != nil)
        client.close()
        stream.close()
        sender.close()
        for channel in accepted { channel.close() }
        ipcListener.close()
        tcpListener.close()
        unlink(path)
    }

    @Test @LoopActor func connectingToNothingFailsWithAnError() async {
        await #expect(throws: UVError.self) {
            _ = try await IPCChannel.connect(path: "/tmp/flagon-ipc-nobody-\(getpid()).sock")
        }
    }
}
