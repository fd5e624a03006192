import Testing
@testable import FlagonHTTP

/// The request parser examines each byte of a head, a chunk-size line and a trailer once,
/// however the reads split them: counted, not timed, at the size limits.
@Suite struct LinearHeadTests {
    private func feedByteByByte(_ wire: [UInt8], _ parser: inout HTTPRequestParser) throws -> [HTTPRequestParser.Event] {
        var events: [HTTPRequestParser.Event] = []
        for byte in wire {
            parser.feed([byte])
            while let event = try parser.next() { events.append(event) }
        }
        return events
    }

    /// 100 header fields filling 16 KB (both limits), one byte per read.
    @Test func aHeadAtItsLimitsReadByteByByteIsScannedOnce() throws {
        var head = "GET / HTTP/1.1\r\nHost: x\r\n"
        let value = String(repeating: "v", count: 150)
        for index in 0..<99 { head += "X-\(String(index + 100)): \(value)\r\n" }
        head += "\r\n"
        let wire = Array(head.utf8)
        #expect(wire.count > 15_000)
        var parser = HTTPRequestParser()
        let events = try feedByteByByte(wire, &parser)
        #expect(events.count == 1)
        #expect(parser.scannedBytes <= 2 * wire.count, "\(parser.scannedBytes) for \(wire.count) bytes")
    }

    /// A chunked body whose chunk-size line and one trailer are as long as allowed, one byte
    /// per read: the line ends are searched for once per byte, not from the line's start.
    @Test func chunkLinesAndTrailersReadByteByByteAreScannedOnce() throws {
        let sizeLine = "5;" + String(repeating: "e", count: 1000) + "\r\n"
        let trailer = "X-Trailer: " + String(repeating: "t", count: 16_000) + "\r\n"
        let wire = Array(("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + sizeLine + "hello\r\n0\r\n" + trailer + "\r\n").utf8)
        var parser = HTTPRequestParser()
        let events = try feedByteByByte(wire, &parser)
        guard case .request(let message)? = events.first else { Issue.record("no request: \(events)"); return }
        #expect(message.body == Array("hello".utf8))
        // Before the fix, the trailer alone cost 16,000²/2 = 128 M comparisons.
        #expect(parser.scannedBytes <= 3 * wire.count, "\(parser.scannedBytes) for \(wire.count) bytes")
    }
}
