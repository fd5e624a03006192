import FlagonLoop

/// Reads HTTP responses framed by Content-Length from a byte stream (the load
/// generator's side; the bench server never sends chunked responses).
struct ResponseScanner {
    private var buffer: [UInt8] = []
    private var start = 0

    /// Adds bytes and returns the bodies of the complete responses.
    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ body: (ArraySlice<UInt8>, Int) -> Void) {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        buffer.append(contentsOf: bytes)
        while true {
            guard let headEnd = find(start) else { break }
            let status = parseStatus(start)
            guard let length = contentLength(start, headEnd) else { break }
            let bodyStart = headEnd + 4
            guard buffer.count - bodyStart >= length else { break }
            body(buffer[bodyStart..<bodyStart + length], status)
            start = bodyStart + length
        }
        if start > 65536 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
    }

    private func find(_ from: Int) -> Int? {
        var i = from
        while i + 3 < buffer.count {
            if buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 { return i }
            i += 1
        }
        return nil
    }

    private func parseStatus(_ from: Int) -> Int {
        guard buffer.count > from + 12 else { return 0 }
        return Int(buffer[from + 9] - 48) * 100 + Int(buffer[from + 10] - 48) * 10 + Int(buffer[from + 11] - 48)
    }

    private func contentLength(_ from: Int, _ to: Int) -> Int? {
        let needle = Array("content-length:".utf8)
        var i = from
        while i + needle.count < to {
            var match = true
            for k in 0..<needle.count where buffer[i + k] | 0x20 != needle[k] | 0x20 {
                match = false
                break
            }
            if match {
                var j = i + needle.count
                while buffer[j] == 32 { j += 1 }
                var value = 0
                while j < to, buffer[j] >= 48, buffer[j] <= 57 {
                    value = value * 10 + Int(buffer[j] - 48)
                    j += 1
                }
                return value
            }
            i += 1
        }
        return nil
    }
}

/// `http`: keep-alive `GET /plain`, one request in flight per connection.
@LoopActor
final class HTTPLoad: LoadCounter {
    private(set) var completed = 0
    private(set) var histogram = Histogram()
    private var streams: [TCPStream] = []
    private static let request = Array("GET /plain HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)

    func reset() {
        completed = 0
        histogram = Histogram()
    }

    func start(port: Int, connections: Int) async throws {
        for _ in 0..<connections {
            let stream = try await TCPStream.connect(to: SocketAddress(host: "127.0.0.1", port: port))
            var scanner = ResponseScanner()
            var sentAt = ResourceLimits.nowMicros()
            stream.onRead = { [unowned self] bytes in
                scanner.feed(bytes) { _, _ in
                    let now = ResourceLimits.nowMicros()
                    histogram.record(now - sentAt)
                    completed += 1
                    sentAt = now
                    stream.write(Self.request)
                }
            }
            stream.startReading()
            streams.append(stream)
            stream.write(Self.request)
        }
    }

    func stop() {
        for stream in streams { stream.close() }
    }
}
