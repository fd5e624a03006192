import FlagonHTTP
import Testing

/// permessage-deflate's negotiation and the frame parser's RSV1 rules.
@Suite struct PerMessageDeflateTests {
    private static let both = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"

    @Test(arguments: [
        (["permessage-deflate"], both),
        (["permessage-deflate; client_max_window_bits"], both),                       // Chromium's offer
        (["permessage-deflate; client_max_window_bits=10; client_no_context_takeover"], both),
        (["permessage-deflate; server_max_window_bits=10"], both + "; server_max_window_bits=10"),
        (["permessage-deflate; server_max_window_bits=8, permessage-deflate"], both),  // 8 declined, the next accepted
        (["x-webkit-deflate-frame", "permessage-deflate; server_no_context_takeover"], both),
        (["permessage-deflate; unknown=1"], nil),
        (["permessage-deflate; server_no_context_takeover; server_no_context_takeover"], nil),
        (["permessage-deflate; client_max_window_bits=16"], nil),
        (["permessage-deflate; server_no_context_takeover=yes"], nil),
        (["permessage-deflate; server_max_window_bits"], nil),
        ([], nil),
    ] as [([String], String?)])
    func offersAreAcceptedOrDeclined(_ offers: [String], _ expected: String?) {
        #expect(PerMessageDeflateNegotiation.response(to: offers)?.header == expected)
    }

    @Test func compressedMessagesNeedTheExtension() throws {
        // RFC 7692 section 7.2.3.1: "Hello", compressed, in one masked frame with RSV1.
        let frame = WebSocketFrame.maskedFrame(opcode: 0x41, payload: [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00])
        var plain = WebSocketFrameParser(maxMessageBytes: 1000)
        plain.feed(frame)
        #expect(throws: WebSocketError.protocolError("reserved bits set")) { try plain.next() }

        var parser = WebSocketFrameParser(maxMessageBytes: 1000)
        parser.acceptsCompressed = true
        parser.feed(frame)
        #expect(try parser.next() == .compressed(isText: true, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00][...]))
        // Fragmented: RSV1 on the first frame only; a continuation with RSV1 is an error.
        parser.feed(WebSocketFrame.maskedFrame(opcode: 0x42, payload: [1, 2], fin: false))
        parser.feed(WebSocketFrame.maskedFrame(opcode: 0x00, payload: [3], fin: true))
        #expect(try parser.next() == .compressed(isText: false, [1, 2, 3][...]))
        parser.feed(WebSocketFrame.maskedFrame(opcode: 0x41, payload: [1], fin: false))
        parser.feed(WebSocketFrame.maskedFrame(opcode: 0x40, payload: [2], fin: true))
        #expect(throws: WebSocketError.self) { try parser.next() }
        // Never on control frames.
        var control = WebSocketFrameParser(maxMessageBytes: 1000)
        control.acceptsCompressed = true
        control.feed(WebSocketFrame.maskedFrame(opcode: 0x49, payload: []))
        #expect(throws: WebSocketError.self) { try control.next() }
    }
}
