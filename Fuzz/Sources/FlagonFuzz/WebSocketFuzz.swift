import FlagonHTTP

/// Feeds client frames whole and in pieces: the same events and error either way, text
/// that is valid UTF-8, messages within the limit, control payloads of at most 125 bytes.
enum WebSocketFuzz {
    static let maxMessageBytes = 512

    enum Event: Equatable {
        case text([UInt8]), binary([UInt8]), ping([UInt8]), pong([UInt8]), close(UInt16?, String), compressed(Bool, [UInt8])
    }

    /// `compressed`: permessage-deflate negotiated (RSV1 allowed on a message's first frame);
    /// `shortcut`: whole messages read first as a WebSocket reads them (`nextWholeMessage`).
    static func parse(_ chunks: [[UInt8]], compressed: Bool, shortcut: Bool = false) -> ([Event], WebSocketError?) {
        var parser = WebSocketFrameParser(maxMessageBytes: maxMessageBytes)
        parser.acceptsCompressed = compressed
        var events: [Event] = []
        do {
            for chunk in chunks {
                parser.feed(chunk)
                while true {
                    var isText = false
                    if shortcut, let payload = parser.nextWholeMessage(isText: &isText) {
                        check(!isText || String(validating: payload, as: UTF8.self) != nil, "whole text that is not UTF-8")
                        check(payload.count <= maxMessageBytes, "whole message over the limit")
                        events.append(isText ? .text(Array(payload)) : .binary(Array(payload)))
                        continue
                    }
                    guard let event = try parser.next() else { break }
                    switch event {
                    case .text(let bytes):
                        check(String(validating: bytes, as: UTF8.self) != nil, "text that is not UTF-8")
                        check(bytes.count <= maxMessageBytes, "text over the limit")
                        events.append(.text(Array(bytes)))
                    case .binary(let bytes):
                        check(bytes.count <= maxMessageBytes, "binary over the limit")
                        events.append(.binary(Array(bytes)))
                    case .ping(let bytes):
                        check(bytes.count <= 125, "ping over 125 bytes")
                        events.append(.ping(bytes))
                    case .pong(let bytes):
                        check(bytes.count <= 125, "pong over 125 bytes")
                        events.append(.pong(bytes))
                    case .close(let code, let reason):
                        events.append(.close(code, reason))
                    case .compressed(let isText, let bytes):
                        check(compressed, "a compressed message without the extension")
                        check(bytes.count <= maxMessageBytes, "compressed message over the limit")
                        events.append(.compressed(isText, Array(bytes)))
                    }
                }
            }
        } catch {
            check([1002, 1007, 1009].contains(error.closeCode), "unexpected close code")
            return (events, error)
        }
        return (events, nil)
    }

    static func run(_ input: [UInt8]) {
        let split = pieces(input)
        for compressed in [false, true] {
            let whole = parse([split.flatMap { $0 }], compressed: compressed)
            let pieced = parse(split, compressed: compressed)
            check(whole.0 == pieced.0 && whole.1?.closeCode == pieced.1?.closeCode, "split-dependent frames")
            let shortcut = parse(split, compressed: compressed, shortcut: true)
            check(shortcut.0 == pieced.0 && shortcut.1?.closeCode == pieced.1?.closeCode, "whole-message shortcut disagrees")
        }
        // The incremental validator, fed in pieces, agrees with the standard library.
        var validator = UTF8Validator()
        var valid = true
        for piece in split where valid { valid = validator.feed(piece) }
        let incremental = valid && validator.isComplete
        let body = split.flatMap { $0 }
        check(incremental == (String(validating: body, as: UTF8.self) != nil), "UTF-8 validators disagree")
    }
}
