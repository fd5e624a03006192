import Testing
@testable import FlagonHTTP

/// A masked client frame.
private func clientFrame(opcode: UInt8, _ payload: [UInt8], fin: Bool = true, mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]) -> [UInt8] {
    WebSocketFrame.maskedFrame(opcode: opcode, payload: payload, fin: fin, mask: mask)
}

@Suite struct WebSocketFrameParserTests {
    @Test func rfcExampleHello() throws {
        var parser = WebSocketFrameParser(maxMessageBytes: 100)
        parser.feed([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58])
        #expect(try parser.next() == .text(Array("Hello".utf8)[...]))
    }

    @Test func everyLengthEncodingAndMaskUnmasksExactly() throws {
        for length in [0, 1, 3, 7, 8, 9, 15, 16, 17, 125, 126, 127, 1000, 65535, 65536, 70_001] {
            let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            var parser = WebSocketFrameParser(maxMessageBytes: 1 << 20)
            parser.feed(clientFrame(opcode: 2, payload, mask: [UInt8(length & 0xFF), 0x5A, 0xA5, 0xFF]))
            #expect(try parser.next() == .binary(payload[...]), "length \(length)")
        }
    }

    @Test func fragmentsWithInterleavedControlFrames() throws {
        var parser = WebSocketFrameParser(maxMessageBytes: 100)
        parser.feed(clientFrame(opcode: 1, Array("Hel".utf8), fin: false) + clientFrame(opcode: 9, [1, 2])
                    + clientFrame(opcode: 0, Array("lo".utf8)))
        #expect(try parser.next() == .ping([1, 2]))
        #expect(try parser.next() == .text(Array("Hello".utf8)[...]))
    }

    @Test func byteByByteFeedingGivesTheSameMessages() throws {
        let bytes = clientFrame(opcode: 1, Array("héllo wörld".utf8)) + clientFrame(opcode: 8, [0x03, 0xE8] + Array("bye".utf8))
        var parser = WebSocketFrameParser(maxMessageBytes: 100)
        var events: [WebSocketFrameParser.Event] = []
        for byte in bytes {
            parser.feed([byte])
            while let event = try parser.next() { events.append(event) }
        }
        #expect(events == [.text(Array("héllo wörld".utf8)[...]), .close(code: 1000, reason: "bye")])
    }

    @Test func violationsCarryTheirCloseCodes() {
        func error(_ bytes: [UInt8], max: Int = 100) -> UInt16? {
            var parser = WebSocketFrameParser(maxMessageBytes: max)
            parser.feed(bytes)
            do { _ = try parser.next(); return nil } catch { return error.closeCode }
        }
        #expect(error(clientFrame(opcode: 1, [0xC3, 0x28])) == 1007)
        #expect(error([0x81, 0x01, 0x41]) == 1002)   // unmasked
        #expect(error(clientFrame(opcode: 3, [])) == 1002)
        #expect(error(clientFrame(opcode: 9, [], fin: false)) == 1002)
        #expect(error(clientFrame(opcode: 0, [1])) == 1002)   // continuation without a start
        #expect(error(clientFrame(opcode: 8, [0x03])) == 1002)
        #expect(error(clientFrame(opcode: 8, [0x03, 0xED])) == 1002)   // 1005 may not be sent
        #expect(error(clientFrame(opcode: 2, [UInt8](repeating: 0, count: 101))) == 1009)
    }

    @Test func aHeaderWrittenInPlaceIsTheHeaderAppended() {
        for length in [0, 1, 125, 126, 127, 65_535, 65_536, 1 << 40] {
            var appended: [UInt8] = []
            WebSocketFrame.writeHeader(opcode: .text, length: length, into: &appended)
            var inPlace = [UInt8](repeating: 0xEE, count: 12)
            let size = inPlace.withUnsafeMutableBytes { WebSocketFrame.writeHeader(opcode: .text, length: length, into: $0) }
            #expect(size == WebSocketFrame.headerLength(payload: length) && Array(inPlace[..<size]) == appended, "\(length)")
            #expect(inPlace[size...].allSatisfy { $0 == 0xEE })
        }
    }

    /// The shortcut for whole messages reads what `next()` reads, and leaves the rest to it untouched.
    @Test func wholeMessagesAreReadAsNextReadsThem() throws {
        let long = [UInt8](repeating: UInt8(ascii: "x"), count: 300)
        var parser = WebSocketFrameParser(maxMessageBytes: 1000)
        parser.feed(clientFrame(opcode: 1, Array("héllo".utf8)) + clientFrame(opcode: 2, [0, 0xFF]) + clientFrame(opcode: 1, long)
                    + clientFrame(opcode: 1, []))
        var read: [(isText: Bool, payload: [UInt8])] = []
        var isText = false
        while let payload = parser.nextWholeMessage(isText: &isText) { read.append((isText, Array(payload))) }
        #expect(read.map(\.isText) == [true, false, true, true])
        #expect(read.map(\.payload) == [Array("héllo".utf8), [0, 0xFF], long, []])
        let after = try parser.next()
        #expect(after == nil)

        // Everything else is left for next(), which reads it from its first byte.
        let others: [([UInt8], WebSocketFrameParser.Event?)] = [
            (clientFrame(opcode: 9, [1]), .ping([1])),
            (clientFrame(opcode: 1, Array("he".utf8), fin: false) + clientFrame(opcode: 0, Array("y".utf8)), .text(Array("hey".utf8)[...])),
            (Array(clientFrame(opcode: 1, Array("cut".utf8)).dropLast()), nil),
        ]
        for (bytes, event) in others {
            var parser = WebSocketFrameParser(maxMessageBytes: 1000)
            parser.feed(bytes)
            let whole = parser.nextWholeMessage(isText: &isText)
            #expect(whole == nil)
            let next = try parser.next()
            #expect(next == event)
        }
        // Errors are next()'s to report, with their close codes.
        for (bytes, code) in [(clientFrame(opcode: 1, [0x41, 0xC3, 0x28]), 1007), ([0x81, 0x01, 0x41, 0, 0, 0, 0], 1002),
                              (clientFrame(opcode: 2, long), 1009)] as [([UInt8], UInt16)] {
            var parser = WebSocketFrameParser(maxMessageBytes: 100)
            parser.feed(bytes)
            let whole = parser.nextWholeMessage(isText: &isText)
            #expect(whole == nil)
            var thrown: UInt16?
            do { _ = try parser.next() } catch { thrown = error.closeCode }
            #expect(thrown == code)
        }
        // A compressed message (RSV1) is not a whole plain message.
        var compressed = WebSocketFrameParser(maxMessageBytes: 100)
        compressed.acceptsCompressed = true
        var frame = clientFrame(opcode: 1, [1, 2])
        frame[0] |= 0x40
        compressed.feed(frame)
        let whole = compressed.nextWholeMessage(isText: &isText)
        #expect(whole == nil)
        let next = try compressed.next()
        #expect(next == .compressed(isText: true, [1, 2][...]))
    }
}
