/// Base64 (RFC 4648) in its standard and URL-safe alphabets.
///
/// ```swift
/// Base64.encode([1, 2, 3, 4])             // "AQIDBA=="
/// Base64.decode("AQIDBA==")               // [1, 2, 3, 4]
/// Base64.encode([251, 255], urlSafe: true) // "-_8" (no padding)
/// ```
public enum Base64 {
    private static let standard = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let urlSafe = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 255, count: 256)
        for (index, byte) in standard.enumerated() { table[Int(byte)] = UInt8(index) }
        table[Int(UInt8(ascii: "-"))] = 62
        table[Int(UInt8(ascii: "_"))] = 63
        return table
    }()

    /// Encodes bytes; the URL-safe form has no padding.
    public static func encode(_ bytes: some Collection<UInt8>, urlSafe: Bool = false) -> String {
        withBytes(bytes) { encodeString($0, urlSafe: urlSafe) }
    }

    /// Encodes raw bytes into a string.
    public static func encodeString(_ bytes: UnsafeRawBufferPointer, urlSafe: Bool = false) -> String {
        String(unsafeUninitializedCapacity: encodedLength(bytes.count, urlSafe: urlSafe)) { out in
            write(bytes, urlSafe: urlSafe, into: out)
        }
    }

    /// Encodes bytes as the ASCII bytes of their Base64 text.
    public static func encodeBytes(_ bytes: some Collection<UInt8>, urlSafe: Bool = false) -> [UInt8] {
        withBytes(bytes) { encode($0, urlSafe: urlSafe) }
    }

    /// Runs `body` on the bytes: contiguous ones (arrays and their slices: every caller) in
    /// place, others copied first.
    private static func withBytes<R>(_ bytes: some Collection<UInt8>, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        if let result = bytes.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) { return result }
        return Array(bytes).withUnsafeBytes(body)
    }

    private static func encode(_ bytes: UnsafeRawBufferPointer, urlSafe: Bool) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: encodedLength(bytes.count, urlSafe: urlSafe)) { out, written in
            written = write(bytes, urlSafe: urlSafe, into: out)
        }
    }

    private static func encodedLength(_ count: Int, urlSafe: Bool) -> Int {
        let tail = count % 3
        return count / 3 * 4 + (tail == 0 ? 0 : urlSafe ? tail + 1 : 4)
    }

    /// Writes the text of `bytes` into `out` (at least ``encodedLength(_:urlSafe:)`` long); returns its length.
    private static func write(_ bytes: UnsafeRawBufferPointer, urlSafe: Bool, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let count = bytes.count
        let whole = count / 3 * 3
        let tail = count - whole
        return (urlSafe ? Self.urlSafe : standard).withUnsafeBufferPointer { alphabet in
            var at = 0
            var index = 0
            while index < whole {
                let a = bytes[index], b = bytes[index + 1], c = bytes[index + 2]
                out[at] = alphabet[Int(a >> 2)]
                out[at + 1] = alphabet[Int((a & 3) << 4 | b >> 4)]
                out[at + 2] = alphabet[Int((b & 15) << 2 | c >> 6)]
                out[at + 3] = alphabet[Int(c & 63)]
                at += 4
                index += 3
            }
            if tail > 0 {
                let a = bytes[index], b: UInt8 = tail == 2 ? bytes[index + 1] : 0
                out[at] = alphabet[Int(a >> 2)]
                out[at + 1] = alphabet[Int((a & 3) << 4 | b >> 4)]
                at += 2
                if tail == 2 {
                    out[at] = alphabet[Int((b & 15) << 2)]
                    at += 1
                } else if !urlSafe {
                    out[at] = 61
                    at += 1
                }
                if !urlSafe {
                    out[at] = 61
                    at += 1
                }
            }
            return at
        }
    }

    /// Decodes either alphabet, with or without padding; `nil` for invalid text.
    public static func decode(_ text: String) -> [UInt8]? {
        decode(bytes: Array(text.utf8))
    }

    /// Decodes ASCII Base64 bytes; `nil` for invalid input.
    public static func decode(bytes input: some Collection<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(input.count / 4 * 3 + 3)
        let valid = input.withContiguousStorageIfAvailable { walk($0, into: &out, keep: true) }
            ?? Array(input).withUnsafeBufferPointer { walk($0, into: &out, keep: true) }
        return valid == nil ? nil : out
    }

    /// The number of bytes `text` decodes to, or `nil` for invalid text (nothing is decoded).
    public static func decodedCount(_ text: String) -> Int? {
        var text = text, unused: [UInt8] = []
        return text.withUTF8 { walk($0, into: &unused, keep: false) }
    }

    /// Validates `input`, appending the decoded bytes to `out` when `keep`; returns how many
    /// bytes it decodes to, or `nil` when it is not Base64.
    private static func walk(_ input: UnsafeBufferPointer<UInt8>, into out: inout [UInt8], keep: Bool) -> Int? {
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        var count = 0
        for byte in input {
            if byte == 61 { padding += 1; continue }
            if padding > 0 { return nil }
            let value = decodeTable[Int(byte)]
            if value == 255 { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                if keep { out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits))) }
                count += 1
            }
        }
        if padding > 2 || bits >= 6 { return nil }
        return count
    }
}
