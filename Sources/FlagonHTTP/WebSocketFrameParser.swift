/// WebSocket frames (RFC 6455, section 5), server side: decodes the client's masked frames
/// into messages and control frames.
///
/// Wire format: `FIN RSV1-3 opcode(4)` · `MASK len(7)` · [16- or 64-bit length] ·
/// [4-byte mask] · payload. Opcodes: 0 continuation, 1 text, 2 binary, 8 close, 9 ping,
/// 10 pong. Control frames carry at most 125 bytes, are never fragmented and may come
/// between the fragments of a message.
///
/// ```swift
/// var parser = WebSocketFrameParser(maxMessageBytes: 1 << 20)
/// parser.feed([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58])
/// try parser.next()   // .text("Hello")
/// ```
public struct WebSocketFrameParser: Sendable {
    /// What the parser yields.
    public enum Event: Sendable, Equatable {
        /// A complete text message (valid UTF-8). An unfragmented message is a slice of the
        /// parser's buffer (no copy): use it before asking for the next event.
        case text(ArraySlice<UInt8>)
        /// A complete binary message.
        case binary(ArraySlice<UInt8>)
        /// A ping with its payload.
        case ping([UInt8])
        /// A pong with its payload.
        case pong([UInt8])
        /// A close frame: code (nil when absent) and reason.
        case close(code: UInt16?, reason: String)
        /// A complete message compressed with permessage-deflate (RSV1 on its first frame;
        /// only when ``acceptsCompressed``): the caller inflates it, then checks text as UTF-8.
        case compressed(isText: Bool, ArraySlice<UInt8>)
    }

    /// Whether messages may be compressed (permessage-deflate was negotiated): RSV1 is then
    /// allowed on the first frame of a message.
    public var acceptsCompressed = false
    private var messageCompressed = false

    /// The limit on one message (all fragments); above it the connection closes with 1009.
    public let maxMessageBytes: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var messageOpcode: UInt8?
    private var message: [UInt8] = []
    private var validator = UTF8Validator()
    private var failed: WebSocketError?

    /// Creates a parser.
    public init(maxMessageBytes: Int) {
        self.maxMessageBytes = maxMessageBytes
    }

    /// Appends received bytes.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 64 * 1024)
            start = 0
        } else if start > 64 * 1024 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Appends received bytes.
    public mutating func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// The next event, or `nil` when more bytes are needed. After an error the parser stays failed.
    public mutating func next() throws(WebSocketError) -> Event? {
        if let failed { throw failed }
        do throws(WebSocketError) {
            while true {
                guard let frame = try nextFrame() else {
                    releaseConsumed()
                    return nil
                }
                if let event = try handle(frame) { return event }
            }
        } catch {
            failed = error
            throw error
        }
    }

    /// The common case without building an event: when the next frame is a whole text or
    /// binary message (final, unfragmented, uncompressed, text valid UTF-8), consumes it and
    /// returns its unmasked payload, a slice of the parser's buffer (use it before asking for
    /// the next message), with `isText` set. (Not a tuple: an optional tuple is handled
    /// through the runtime's generic value witnesses.) `nil` for anything else
    /// (more bytes needed, a control frame, a fragment, an error), with nothing consumed:
    /// ``next()`` then reads the frame and says what it is.
    package mutating func nextWholeMessage(isText: inout Bool) -> ArraySlice<UInt8>? {
        guard failed == nil, messageOpcode == nil else { return nil }
        let available = buffer.count - start
        guard available >= 6 else { return nil }
        let b0 = buffer[start], b1 = buffer[start + 1]
        // FIN, no reserved bits, text or binary; masked, with a 7- or 16-bit length.
        guard b0 == 0x81 || b0 == 0x82, b1 & 0x80 != 0, b1 & 0x7F != 127,
              let (length, headerLength) = shortLength(b1, available: available) else { return nil }
        guard length <= maxMessageBytes, available >= headerLength + 4 + length else { return nil }
        let maskStart = start + headerLength
        let payloadStart = maskStart + 4
        let text = b0 == 0x81
        let valid = buffer.withUnsafeMutableBytes { raw in
            let mask = raw.loadUnaligned(fromByteOffset: maskStart, as: UInt32.self)
            Self.unmask(raw, payloadStart: payloadStart, length: length, mask: mask)
            guard text else { return true }
            var validator = UTF8Validator()
            if validator.feed(UnsafeRawBufferPointer(rebasing: raw[payloadStart..<payloadStart + length])) && validator.isComplete {
                return true
            }
            // Masked again, so that `next()` reads the frame as it came and reports the error.
            Self.unmask(raw, payloadStart: payloadStart, length: length, mask: mask)
            return false
        }
        guard valid else { return nil }
        start = payloadStart + length
        isText = text
        return buffer[payloadStart..<start]
    }

    /// A frame's payload length and header size from its second byte, when the length takes
    /// 7 or 16 bits (for a 64-bit length, marked 127 in `b1`, the caller reads the length and
    /// ignores these); `nil` when the 16-bit length has not arrived yet.
    @inline(__always)
    private func shortLength(_ b1: UInt8, available: Int) -> (length: Int, headerLength: Int)? {
        let length = Int(b1 & 0x7F)
        guard length == 126 else { return (length, 2) }
        guard available >= 4 else { return nil }
        return (Int(buffer[start + 2]) << 8 | Int(buffer[start + 3]), 4)
    }

    /// Gives back a small, fully consumed buffer: an idle connection then holds no bytes.
    private mutating func releaseConsumed() {
        if start == buffer.count && start > 0 && buffer.capacity < 4096 {
            buffer = []
            start = 0
        }
    }

    private struct Frame {
        let fin: Bool
        let opcode: UInt8
        let payload: ArraySlice<UInt8>
        let compressed: Bool
    }

    private mutating func nextFrame() throws(WebSocketError) -> Frame? {
        let available = buffer.count - start
        guard available >= 2 else { return nil }
        let b0 = buffer[start], b1 = buffer[start + 1]
        let fin = b0 & 0x80 != 0
        let opcode = b0 & 0x0F
        let rsv1 = b0 & 0x40 != 0
        guard b0 & 0x30 == 0, !rsv1 || (acceptsCompressed && (opcode == 1 || opcode == 2)) else {
            throw .protocolError("reserved bits set")
        }
        // Known opcodes, as bits: 0, 1, 2 (continuation, text, binary) and 8, 9, 10 (close, ping, pong).
        guard (0b0111_0000_0111 as UInt16) >> UInt16(opcode) & 1 == 1 else {
            throw .protocolError("unknown opcode \(opcode)")
        }
        guard b1 & 0x80 != 0 else { throw .protocolError("client frames must be masked") }
        let isControl = opcode >= 8
        guard var (length, headerLength) = shortLength(b1, available: available) else { return nil }
        if b1 & 0x7F == 127 {
            guard available >= 10 else { return nil }
            var value: UInt64 = 0
            for i in 0..<8 { value = value << 8 | UInt64(buffer[start + 2 + i]) }
            guard value >> 63 == 0 else { throw .protocolError("64-bit length with its high bit set") }
            guard value <= UInt64(maxMessageBytes) else { throw .messageTooBig(max: maxMessageBytes) }
            length = Int(value)
            headerLength = 10
        }
        if isControl {
            guard fin else { throw .protocolError("fragmented control frame") }
            guard length <= 125 else { throw .protocolError("control frame longer than 125 bytes") }
        } else if message.count + length > maxMessageBytes {
            throw .messageTooBig(max: maxMessageBytes)
        }
        guard available >= headerLength + 4 + length else { return nil }
        let maskStart = start + headerLength
        let payloadStart = maskStart + 4
        buffer.withUnsafeMutableBytes { raw in
            Self.unmask(raw, payloadStart: payloadStart, length: length,
                        mask: raw.loadUnaligned(fromByteOffset: maskStart, as: UInt32.self))
        }
        let payload = buffer[payloadStart..<payloadStart + length]
        start = payloadStart + length
        return Frame(fin: fin, opcode: opcode, payload: payload, compressed: rsv1)
    }

    /// XORs the payload with the 4-byte mask, eight bytes at a time.
    @inline(__always)
    static func unmask(_ raw: UnsafeMutableRawBufferPointer, payloadStart: Int, length: Int, mask: UInt32) {
        let wide = UInt64(mask) | UInt64(mask) << 32
        var i = 0
        while i + 8 <= length {
            let word = raw.loadUnaligned(fromByteOffset: payloadStart + i, as: UInt64.self)
            raw.storeBytes(of: word ^ wide, toByteOffset: payloadStart + i, as: UInt64.self)
            i += 8
        }
        // The mask lines up with the payload every four bytes, so the tail restarts it at i % 4 == 0.
        var shift = 0
        while i < length {
            raw[payloadStart + i] ^= UInt8(truncatingIfNeeded: mask >> UInt32(shift))
            shift = (shift + 8) & 31
            i += 1
        }
    }

    private mutating func handle(_ frame: Frame) throws(WebSocketError) -> Event? {
        switch frame.opcode {
        case 8:
            let payload = Array(frame.payload)
            if payload.isEmpty { return .close(code: nil, reason: "") }
            guard payload.count >= 2 else { throw .protocolError("close frame with a 1-byte payload") }
            let code = UInt16(payload[0]) << 8 | UInt16(payload[1])
            guard WebSocketFrameParser.isValidCloseCode(code) else { throw .protocolError("invalid close code \(code)") }
            let reasonBytes = Array(payload[2...])
            guard let reason = String(validating: reasonBytes, as: UTF8.self) else { throw .invalidUTF8 }
            return .close(code: code, reason: reason)
        case 9:
            return .ping(Array(frame.payload))
        case 10:
            return .pong(Array(frame.payload))
        case 0:
            guard let opcode = messageOpcode else { throw .protocolError("continuation without a message") }
            try append(frame.payload, opcode: opcode)
            return frame.fin ? try finishMessage(opcode) : nil
        default:
            guard messageOpcode == nil else { throw .protocolError("new message inside a fragmented one") }
            validator = UTF8Validator()
            messageCompressed = frame.compressed
            if frame.compressed && frame.fin { return .compressed(isText: frame.opcode == 1, frame.payload) }
            if frame.fin {
                // A whole message in one frame: hand on the slice, no copy.
                if frame.opcode == 1 {
                    let valid = Self.checkUTF8(frame.payload, of: buffer, with: &validator)
                    guard valid, validator.isComplete else { throw .invalidUTF8 }
                    return .text(frame.payload)
                }
                return .binary(frame.payload)
            }
            messageOpcode = frame.opcode
            try append(frame.payload, opcode: frame.opcode)
            return nil
        }
    }

    /// Feeds a payload (a slice of `buffer`) to the UTF-8 validator, through the array: a
    /// slice's own bytes are reached through a dynamic cast of its owner.
    private static func checkUTF8(_ payload: ArraySlice<UInt8>, of buffer: [UInt8], with validator: inout UTF8Validator) -> Bool {
        buffer.withUnsafeBytes { validator.feed(UnsafeRawBufferPointer(rebasing: $0[payload.indices])) }
    }

    /// Adds a fragment's payload (a slice of the buffer) to the message being assembled.
    private mutating func append(_ payload: ArraySlice<UInt8>, opcode: UInt8) throws(WebSocketError) {
        if opcode == 1 && !messageCompressed {
            guard Self.checkUTF8(payload, of: buffer, with: &validator) else { throw .invalidUTF8 }
        }
        if message.isEmpty && payload.count > 0 {
            message = Array(payload)
        } else {
            message.append(contentsOf: payload)
        }
    }

    private mutating func finishMessage(_ opcode: UInt8) throws(WebSocketError) -> Event {
        let complete = message
        message = []
        messageOpcode = nil
        if messageCompressed {
            messageCompressed = false
            return .compressed(isText: opcode == 1, complete[...])
        }
        if opcode == 1 {
            guard validator.isComplete else { throw .invalidUTF8 }
            return .text(complete[...])
        }
        return .binary(complete[...])
    }

    /// Close codes a peer may send (RFC 6455 section 7.4 and the IANA registry).
    public static func isValidCloseCode(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }
}

/// Why a WebSocket connection must close, with the close code to send.
public enum WebSocketError: Error, Sendable, Equatable {
    /// The peer broke the framing rules (1002).
    case protocolError(String)
    /// A text message or close reason is not UTF-8 (1007).
    case invalidUTF8
    /// A message exceeds the limit (1009).
    case messageTooBig(max: Int)

    /// The close code for this error.
    public var closeCode: UInt16 {
        switch self {
        case .protocolError: 1002
        case .invalidUTF8: 1007
        case .messageTooBig: 1009
        }
    }

    /// The close reason sent to the peer, in words (at most 123 bytes).
    public var message: String {
        switch self {
        case .protocolError(let what): "protocol error: \(what)"
        case .invalidUTF8: "invalid UTF-8 in a text message"
        case .messageTooBig(let max): "message larger than the limit of \(max) bytes"
        }
    }
}
