import CZlib

/// One-shot compression with zlib, in the three framings HTTP and WebSocket use.
///
/// ```swift
/// let body = Deflate.compress(bytes, format: .gzip)
/// ```
public enum Deflate {
    /// How the compressed bytes are framed.
    public enum Format: Sendable {
        /// RFC 1952 (`Content-Encoding: gzip`).
        case gzip
        /// RFC 1950, a zlib stream (`Content-Encoding: deflate`).
        case zlib
        /// RFC 1951, bare deflate (permessage-deflate).
        case raw

        var windowBits: Int32 {
            switch self {
            case .gzip: 15 + 16
            case .zlib: 15
            case .raw: -15
            }
        }
    }

    /// Compresses `input` whole; `nil` only if zlib fails (out of memory).
    public static func compress(_ input: [UInt8], format: Format, level: Int32 = 6) -> [UInt8]? {
        var stream = z_stream()
        // memLevel 8 is zlib's default; the state lives only for this call.
        guard flagon_deflate_init(&stream, level, format.windowBits, 8) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        var (status, output) = deflateWhole(&stream, input, flush: Z_FINISH)
        guard status == Z_STREAM_END else { return nil }
        output.removeLast(Int(stream.avail_out))
        return output
    }

    /// Runs `deflate` once over all of `input` into a buffer of zlib's bound for it; returns
    /// zlib's status and the buffer, whose last `stream.avail_out` bytes are unused.
    static func deflateWhole(_ stream: inout z_stream, _ input: [UInt8], flush: Int32) -> (Int32, [UInt8]) {
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 16)
        let status: Int32 = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                return deflate(&stream, flush)
            }
        }
        return (status, output)
    }

    /// Decompresses `input` whole, refusing to produce more than `limit` bytes.
    public static func decompress(_ input: [UInt8], format: Format, limit: Int) throws(InflateError) -> [UInt8] {
        var stream = z_stream()
        guard flagon_inflate_init(&stream, format == .gzip ? 15 + 32 : format.windowBits) == Z_OK else { throw .failed }
        defer { inflateEnd(&stream) }
        var chunk = [UInt8](repeating: 0, count: 16_384)
        let (output, ended) = try inflateAll(&stream, input, limit: limit, chunk: &chunk)
        guard ended || format == .raw else { throw .corrupt }
        return output
    }

    /// Runs an inflate stream over `input` until it is used up or the stream ends; `ended`
    /// tells which. Throws past `limit` bytes of output or on data that does not inflate.
    static func inflateAll(_ stream: inout z_stream, _ input: [UInt8], limit: Int,
                           chunk: inout [UInt8]) throws(InflateError) -> (output: [UInt8], ended: Bool) {
        var output: [UInt8] = []
        var ended = false
        try input.withUnsafeBufferPointer { (source) throws(InflateError) in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = uInt(source.count)
            while true {
                var status: Int32 = Z_OK
                let produced: Int = chunk.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress
                    stream.avail_out = uInt(target.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return target.count - Int(stream.avail_out)
                }
                switch status {
                case Z_OK, Z_STREAM_END, Z_BUF_ERROR: break   // Z_BUF_ERROR: no progress possible (input used up)
                default: throw .corrupt
                }
                guard output.count + produced <= limit else { throw .tooLarge(limit: limit) }
                output.append(contentsOf: chunk[..<produced])
                if status == Z_STREAM_END { ended = true; return }
                if produced == 0 && stream.avail_in == 0 { return }
                if produced == 0 && status == Z_BUF_ERROR { throw .corrupt }
            }
        }
        return (output, ended)
    }

    /// Compresses one WebSocket message for permessage-deflate (RFC 7692, section 7.2.1):
    /// raw deflate with a window of `windowBits`, flushed, without the final `00 00 ff ff`.
    /// (A loop that compresses many messages keeps one ``MessageDeflater`` instead.)
    public static func compressMessage(_ input: some Collection<UInt8>, windowBits: Int = 15, level: Int32 = 6) -> [UInt8]? {
        MessageDeflater(windowBits: windowBits, level: level).compress(input)
    }

    /// Inflates one permessage-deflate message (the final `00 00 ff ff` added back),
    /// refusing to produce more than `limit` bytes.
    public static func decompressMessage(_ input: some Collection<UInt8>, limit: Int) throws(InflateError) -> [UInt8] {
        try MessageInflater().decompress(input, limit: limit)
    }
}

/// Why decompressing failed.
public enum InflateError: Error, Sendable, Equatable {
    /// The data is not a valid stream.
    case corrupt
    /// It would inflate past the limit (a compression bomb).
    case tooLarge(limit: Int)
    /// zlib could not start (out of memory).
    case failed
}
