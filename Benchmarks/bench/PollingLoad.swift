import Foundation
import FlagonLoop

/// `polling`: the echo scenario over HTTP long-polling only. Each client keeps one GET
/// pending on one connection and sends its POSTs (one at a time) on another.
@LoopActor
final class PollingLoad: LoadCounter {
    private(set) var completed = 0
    private(set) var histogram = Histogram()
    private var clients: [PollingClient] = []

    func reset() {
        completed = 0
        histogram = Histogram()
    }

    func start(port: Int, clients count: Int) async throws {
        for _ in 0..<count {
            let client = try await PollingClient.open(port: port)
            client.onAck = { [unowned self] latency in
                histogram.record(latency)
                completed += 1
            }
            clients.append(client)
            client.startEcho()
        }
    }

    func stop() {
        for client in clients { client.close() }
    }
}

@LoopActor
final class PollingClient {
    private let getStream: TCPStream
    private let postStream: TCPStream
    private let port: Int
    private let sid: String
    private var getScanner = ResponseScanner()
    private var postScanner = ResponseScanner()
    private var postInFlight = false
    private var pendingPackets: [[UInt8]] = []
    private var nextID = 0
    private var sentAt: UInt64 = 0
    private var connected = false
    private var connectWaiter: CheckedContinuation<Void, Never>?
    var onAck: ((UInt64) -> Void)?
    /// When set, receives every Socket.IO message after the CONNECT reply (instead of the
    /// echo loop), as the bytes after the Engine.IO `4`.
    var onMessage: ((ArraySlice<UInt8>) -> Void)?
    /// Called when a POST's response arrives.
    var onPosted: (() -> Void)?
    /// Called once if the session ends (a failed poll or a closed connection).
    var onClose: (() -> Void)?
    private(set) var isClosed = false
    private static let suffix = Array(#"["echo",{"n":1,"s":"hello world"}]"#.utf8)

    private init(get: TCPStream, post: TCPStream, port: Int, sid: String) {
        getStream = get
        postStream = post
        self.port = port
        self.sid = sid
    }

    static func open(port: Int) async throws -> PollingClient {
        let address = try SocketAddress(host: "127.0.0.1", port: port)
        let get = try await TCPStream.connect(to: address)
        let post = try await TCPStream.connect(to: address)
        // Handshake on the GET connection.
        let open: [UInt8] = await withCheckedContinuation { continuation in
            var scanner = ResponseScanner()
            get.onRead = { bytes in scanner.feed(bytes) { body, _ in continuation.resume(returning: Array(body)) } }
            get.startReading()
            get.write(Array("GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        }
        let text = String(decoding: open, as: UTF8.self)
        guard let range = text.range(of: #""sid":""#), let end = text[range.upperBound...].firstIndex(of: "\"") else {
            throw BenchSocket.Failure.handshake(text)
        }
        let client = PollingClient(get: get, post: post, port: port, sid: String(text[range.upperBound..<end]))
        client.wire()
        await withCheckedContinuation { continuation in
            client.connectWaiter = continuation
            client.post(Array("40".utf8))
            client.poll()
        }
        return client
    }

    private func wire() {
        // Weak: a client that left may be freed while its streams still report their close.
        getStream.onRead = { [weak self] bytes in
            guard let self else { return }
            getScanner.feed(bytes) { body, status in
                guard status == 200, !isClosed else { return ended() }
                handlePayload(body)
                if !isClosed { poll() }
            }
        }
        getStream.onClose = { [weak self] _ in self?.ended() }
        postStream.onClose = { [weak self] _ in self?.ended() }
        postStream.onRead = { [weak self] bytes in
            guard let self else { return }
            postScanner.feed(bytes) { _, _ in
                postInFlight = false
                onPosted?()
                flushPosts()
            }
        }
        postStream.startReading()
    }

    private func poll() {
        getStream.write(Array("GET /socket.io/?EIO=4&transport=polling&sid=\(sid) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
    }

    private func post(_ packet: [UInt8]) {
        pendingPackets.append(packet)
        flushPosts()
    }

    private func flushPosts() {
        guard !postInFlight, !pendingPackets.isEmpty else { return }
        var body: [UInt8] = []
        for (index, packet) in pendingPackets.enumerated() {
            if index > 0 { body.append(0x1E) }
            body.append(contentsOf: packet)
        }
        pendingPackets.removeAll(keepingCapacity: true)
        postInFlight = true
        postStream.write(Array("POST /socket.io/?EIO=4&transport=polling&sid=\(sid) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
    }

    private func handlePayload(_ body: ArraySlice<UInt8>) {
        for packet in body.split(separator: 0x1E) {
            guard let type = packet.first else { continue }
            if type == UInt8(ascii: "1") {
                return ended()
            } else if type == UInt8(ascii: "2") {
                post([UInt8(ascii: "3")])
            } else if type == UInt8(ascii: "4") {
                let message = packet.dropFirst()
                if !connected, message.first == UInt8(ascii: "0") {
                    connected = true
                    connectWaiter?.resume()
                    connectWaiter = nil
                } else if let onMessage {
                    onMessage(message)
                } else if Array(message).withUnsafeBufferPointer({ ackID($0) }) != nil {
                    onAck?(ResourceLimits.nowMicros() - sentAt)
                    sendEcho()
                }
            }
        }
    }

    func startEcho() { sendEcho() }

    private func sendEcho() {
        var packet: [UInt8] = [UInt8(ascii: "4"), UInt8(ascii: "2")]
        appendDecimal(nextID, to: &packet)
        nextID = (nextID + 1) % 1_000_000_000
        packet.append(contentsOf: Self.suffix)
        sentAt = ResourceLimits.nowMicros()
        post(packet)
    }

    /// Sends a Socket.IO packet (the text after the Engine.IO `4`).
    func send(_ message: [UInt8]) { post([UInt8(ascii: "4")] + message) }

    /// Sends Engine.IO packets in one POST (or in the next, after one in flight).
    func sendPayload(_ packets: [[UInt8]]) {
        pendingPackets.append(contentsOf: packets)
        flushPosts()
    }

    private func ended() {
        if isClosed { return }
        isClosed = true
        getStream.close()
        postStream.close()
        let callback = onClose
        onClose = nil
        onMessage = nil
        callback?()
    }

    func close() {
        onClose = nil
        ended()
    }
}
