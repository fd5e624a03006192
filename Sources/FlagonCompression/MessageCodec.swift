import CZlib

/// A permessage-deflate compressor that keeps its zlib state between messages and resets it
/// for each one (no context takeover): starting a zlib stream allocates and clears about
/// 256 KB, which costs more than compressing a chat message. Not thread-safe: one per thread.
public final class MessageDeflater {
    private var stream = z_stream()
    private let ready: Bool
    /// The window (9...15) and level it compresses with.
    public let windowBits: Int
    public let level: Int32

    /// A compressor with this window and level.
    public init(windowBits: Int = 15, level: Int32 = 6) {
        self.windowBits = max(9, min(15, windowBits))
        self.level = level
        ready = flagon_deflate_init(&stream, level, -Int32(self.windowBits), 8) == Z_OK
    }

    deinit {
        if ready { deflateEnd(&stream) }
    }

    /// One message, flushed, without the final `00 00 ff ff` (RFC 7692, section 7.2.1).
    public func compress(_ input: some Collection<UInt8>) -> [UInt8]? {
        guard ready, deflateReset(&stream) == Z_OK else { return nil }
        var (status, output) = Deflate.deflateWhole(&stream, Array(input), flush: Z_SYNC_FLUSH)
        guard status == Z_OK, stream.avail_in == 0 else { return nil }
        let produced = output.count - Int(stream.avail_out)
        guard produced >= 4, output[produced - 4..<produced] == [0, 0, 0xff, 0xff] else { return nil }
        output.removeLast(output.count - produced + 4)
        return output
    }
}

/// A permessage-deflate decompressor that keeps its zlib state between messages and resets
/// it for each one. Not thread-safe: one per thread.
public final class MessageInflater {
    private var stream = z_stream()
    private let ready: Bool
    private var chunk = [UInt8](repeating: 0, count: 16_384)

    /// A decompressor (any window up to 15 bits).
    public init() {
        ready = flagon_inflate_init(&stream, -15) == Z_OK
    }

    deinit {
        if ready { inflateEnd(&stream) }
    }

    /// One message (the final `00 00 ff ff` added back), refusing to produce more than `limit` bytes.
    public func decompress(_ input: some Collection<UInt8>, limit: Int) throws(InflateError) -> [UInt8] {
        guard ready, inflateReset(&stream) == Z_OK else { throw .failed }
        var bytes = Array(input)
        bytes.append(contentsOf: [0, 0, 0xff, 0xff])
        return try Deflate.inflateAll(&stream, bytes, limit: limit, chunk: &chunk).output
    }
}
