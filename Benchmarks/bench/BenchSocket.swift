import FlagonCompression
import FlagonLoop

/// A lean Socket.IO client over WebSocket for the load generator: the Engine.IO and
/// Socket.IO handshakes, pongs, and raw access to each text message. Frames are masked
/// with a zero key (valid, and free: servers unmask without checking the key).
@LoopActor
final class BenchSocket {
    enum Failure: Error {
        case handshake(String)
        case closed
    }

    private let stream: TCPStream
    private var buffer: [UInt8] = []
    private var start = 0
    private var upgraded = false
    private var handshakeWaiter: CheckedContinuation<Result<Void, Failure>, Never>?
    private var stage = 0   // 0: HTTP, 1: waiting for open packet, 2: waiting for CONNECT reply, 3: ready
    /// Called with each Socket.IO text message (the bytes after the Engine.IO `4`), valid
    /// only during the call.
    var onMessage: ((UnsafeBufferPointer<UInt8>) -> Void)?
    /// Called once when the connection closes.
    var onClose: (() -> Void)?
    private(set) var isClosed = false

    private init(stream: TCPStream) {
        self.stream = stream
        stream.onRead = { [self] bytes in received(bytes) }
        stream.onClose = { [self] _ in closed() }
        stream.startReading()
    }

    /// Connects and joins `namespace` (`connectNamespace: false` stops after the Engine.IO open packet).
    static func connect(port: Int, path: String = "/socket.io/", connectNamespace: Bool = true,
                        namespace: String = "/", auth: String? = nil, offerDeflate: Bool = false, source: String? = nil,
                        onMessage: ((UnsafeBufferPointer<UInt8>) -> Void)? = nil) async throws -> BenchSocket {
        let stream = try await TCPStream.connect(to: SocketAddress(host: "127.0.0.1", port: port),
                                                 from: try source.map { try SocketAddress(host: $0, port: 0) })
        try BenchTLS.secure(stream)
        let socket = BenchSocket(stream: stream)
        let request = "GET \(path)?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            + (offerDeflate ? "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" : "") + "\r\n"
        let result: Result<Void, Failure> = await withCheckedContinuation { continuation in
            socket.handshakeWaiter = continuation
            socket.connectNamespace = connectNamespace
            socket.namespace = namespace
            socket.auth = auth
            socket.onMessage = onMessage   // what follows the CONNECT reply in the same read
            stream.write(Array(request.utf8))
        }
        try result.get()
        return socket
    }

    /// `true` when the server agreed to permessage-deflate: messages of 1 KB or more go
    /// compressed both ways.
    private(set) var deflates = false
    /// Bytes received on the wire (frames), for the compression figures.
    private(set) var wireBytesReceived = 0
    /// Where a message is put together before it is queued (kept between messages).
    private var scratch: [UInt8] = []
    private var connectNamespace = true
    private var namespace = "/"
    private var auth: String?
    /// The CONNECT reply (`0{"sid":…}` after the `4`), once connected.
    private(set) var connectReply = ""

    /// Sends a text message (a whole Engine.IO packet, e.g. `42["echo",1]`).
    @inline(__always)
    func send(_ payload: [UInt8]) {
        scratch.removeAll(keepingCapacity: true)
        if deflates && payload.count >= 1024, let compressed = Deflate.compressMessage(payload) {
            Self.appendHeader(length: compressed.count, to: &scratch)
            scratch[0] |= 0x40   // RSV1: compressed
            scratch.append(contentsOf: compressed)
        } else {
            Self.appendHeader(length: payload.count, to: &scratch)
            scratch.append(contentsOf: payload)
        }
        stream.write(scratch)
    }

    /// Sends text messages, each in its own frame, in one write.
    func send(frames payloads: [[UInt8]]) {
        var out: [UInt8] = []
        for payload in payloads {
            Self.appendHeader(length: payload.count, to: &out)
            out.append(contentsOf: payload)
        }
        stream.write(out)
    }

    /// Sends a text message written in place by `body`, whose length must be `length`.
    @inline(__always)
    func send(length: Int, _ body: (inout [UInt8]) -> Void) {
        scratch.removeAll(keepingCapacity: true)
        Self.appendHeader(length: length, to: &scratch)
        body(&scratch)
        stream.write(scratch)
    }

    @inline(__always)
    private static func appendHeader(length: Int, to out: inout [UInt8]) {
        out.append(0x81)
        if length < 126 {
            out.append(0x80 | UInt8(length))
        } else if length < 65536 {
            out.append(0x80 | 126)
            out.append(UInt8(length >> 8))
            out.append(UInt8(length & 0xFF))
        } else {
            out.append(0x80 | 127)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((length >> shift) & 0xFF)) }
        }
        out.append(0)
        out.append(0)
        out.append(0)
        out.append(0)
    }

    func close() {
        stream.close()
    }

    private func closed() {
        if isClosed { return }
        isClosed = true
        finishHandshake(.failure(.closed))
        onClose?()
        onMessage = nil
        onClose = nil
    }

    private func finishHandshake(_ result: Result<Void, Failure>) {
        guard let waiter = handshakeWaiter else { return }
        handshakeWaiter = nil
        waiter.resume(returning: result)
    }

    private func received(_ bytes: UnsafeRawBufferPointer) {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        if upgraded && buffer.isEmpty {
            // Fast path: parse straight from the read buffer, keep only a partial frame.
            let used = parseFrames(UnsafeBufferPointer(start: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), count: bytes.count))
            if used < bytes.count { buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[used...])) }
            return
        }
        buffer.append(contentsOf: bytes)
        if !upgraded {
            guard let end = findHeadEnd() else { return }
            guard buffer.starts(with: Array("HTTP/1.1 101".utf8)) else {
                finishHandshake(.failure(.handshake(String(decoding: buffer[..<end], as: UTF8.self))))
                stream.close()
                return
            }
            upgraded = true
            deflates = String(decoding: buffer[..<end], as: UTF8.self).lowercased().contains("sec-websocket-extensions: permessage-deflate")
            stage = 1
            start = end + 4
        }
        let used = buffer.withUnsafeBufferPointer { all in
            parseFrames(UnsafeBufferPointer(rebasing: all[start...]))
        }
        start += used
        if start > 65536 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
    }

    private func findHeadEnd() -> Int? {
        var i = 0
        while i + 3 < buffer.count {
            if buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 { return i }
            i += 1
        }
        return nil
    }

    /// Parses whole frames; returns how many bytes they used.
    private func parseFrames(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var position = 0
        let count = bytes.count
        while count - position >= 2 {
            let opcode = bytes[position] & 0x0F
            var length = Int(bytes[position + 1] & 0x7F)
            var header = 2
            if length == 126 {
                guard count - position >= 4 else { break }
                length = Int(bytes[position + 2]) << 8 | Int(bytes[position + 3])
                header = 4
            } else if length == 127 {
                guard count - position >= 10 else { break }
                length = 0
                for i in 0..<8 { length = length << 8 | Int(bytes[position + 2 + i]) }
                header = 10
            }
            guard count - position >= header + length else { break }
            let payload = UnsafeBufferPointer(rebasing: bytes[(position + header)..<(position + header + length)])
            let compressed = bytes[position] & 0x40 != 0
            position += header + length
            wireBytesReceived += header + length
            switch opcode {
            case 1 where compressed:
                guard let inflated = try? Deflate.decompressMessage(payload, limit: 1 << 24) else { break }
                inflated.withUnsafeBufferPointer { text($0) }
            case 1: text(payload)
            case 8:
                stream.close()
                return count
            case 9:
                var pong: [UInt8] = [0x8A, 0x80 | UInt8(length), 0, 0, 0, 0]
                pong += payload
                stream.write(pong)
            default: break
            }
        }
        return position
    }

    private func text(_ payload: UnsafeBufferPointer<UInt8>) {
        guard let type = payload.first else { return }
        switch type {
        case UInt8(ascii: "2"):
            send([UInt8(ascii: "3")])
        case UInt8(ascii: "0") where stage == 1:
            if connectNamespace {
                stage = 2
                send(Array(("40" + (namespace == "/" ? "" : namespace + ",") + (auth ?? "")).utf8))
            } else {
                stage = 3
                finishHandshake(.success(()))
            }
        case UInt8(ascii: "4"):
            let message = UnsafeBufferPointer(rebasing: payload[1...])
            if stage == 2 {
                if message.first == UInt8(ascii: "0") {
                    stage = 3
                    connectReply = String(decoding: message, as: UTF8.self)
                    finishHandshake(.success(()))
                } else {
                    finishHandshake(.failure(.handshake(String(decoding: message, as: UTF8.self))))
                }
                return
            }
            onMessage?(message)
        default:
            break
        }
    }
}
