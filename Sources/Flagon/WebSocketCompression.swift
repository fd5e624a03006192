import FlagonCompression
import FlagonHTTP

/// permessage-deflate (RFC 7692) for a WebSocket endpoint: accepted when a client offers it
/// (browsers do), always without context takeover in either direction, so that every
/// message is compressed on its own (a broadcast once for all its recipients) and no
/// connection keeps a zlib window. Messages under `threshold` go uncompressed; inflating
/// stops at the endpoint's message limit (close 1009).
///
/// ```swift
/// app.websocket("/feed", compression: WebSocketCompression()) { ws in ... }
/// ```
public struct WebSocketCompression: Sendable, Equatable {
    /// Messages smaller than this many bytes are sent uncompressed (default 1,024, as Node's).
    public var threshold: Int
    /// The zlib level, 1 (fast) to 9 (small); default 6.
    public var level: Int32

    /// Compression above `threshold` bytes.
    public init(threshold: Int = 1024, level: Int32 = 6) {
        self.threshold = threshold
        self.level = level
    }
}

/// What a connection agreed to: the settings and the window the client allows.
struct NegotiatedDeflate: Sendable {
    let settings: WebSocketCompression
    let windowBits: Int

    /// A frame (header and payload) of a compressed message: RSV1 set on its only frame.
    @LoopActor
    func frame(opcode: WebSocketFrame.Opcode, payload: some Collection<UInt8>) -> [UInt8]? {
        guard let compressed = MessageCodecs.deflater(windowBits: windowBits, level: settings.level).compress(payload) else { return nil }
        var frame: [UInt8] = []
        frame.reserveCapacity(compressed.count + 10)
        WebSocketFrame.writeHeader(opcode: opcode, length: compressed.count, into: &frame)
        frame[0] |= 0x40
        frame.append(contentsOf: compressed)
        return frame
    }
}

/// The loop's compressor and decompressor, reused for every message (starting a zlib
/// stream costs more than compressing a chat message).
@LoopActor
enum MessageCodecs {
    private static var deflaters: [Int: MessageDeflater] = [:]
    static let inflater = MessageInflater()

    static func deflater(windowBits: Int, level: Int32) -> MessageDeflater {
        let key = windowBits << 8 | Int(level)
        if let deflater = deflaters[key] { return deflater }
        let deflater = MessageDeflater(windowBits: windowBits, level: level)
        deflaters[key] = deflater
        return deflater
    }
}
