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
        String(decoding: encodeBytes(bytes, urlSafe: urlSafe), as: UTF8.self)
    }

    /// Encodes bytes as the ASCII bytes of their Base64 text.
    public static func encodeBytes(_ bytes: some Collection<UInt8>, urlSafe: Bool = false) -> [UInt8] {
        let alphabet = urlSafe ? Self.urlSafe : standard
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var iterator = bytes.makeIterator()
        while let a = iterator.next() {
            let b = iterator.next(), c = iterator.next()
            out.append(alphabet[Int(a >> 2)])
            out.append(alphabet[Int((a & 3) << 4 | (b ?? 0) >> 4)])
            if let b {
                out.append(alphabet[Int((b & 15) << 2 | (c ?? 0) >> 6)])
            } else if !urlSafe {
                out.append(61)
            }
            if let c {
                out.append(alphabet[Int(c & 63)])
            } else if !urlSafe {
                out.append(61)
            }
        }
        return out
    }

    /// Decodes either alphabet, with or without padding; `nil` for invalid text.
    public static func decode(_ text: String) -> [UInt8]? {
        decode(bytes: Array(text.utf8))
    }

    /// Decodes ASCII Base64 bytes; `nil` for invalid input.
    public static func decode(bytes input: some Collection<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(input.count / 4 * 3 + 3)
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        for byte in input {
            if byte == 61 { padding += 1; continue }
            if padding > 0 { return nil }
            let value = decodeTable[Int(byte)]
            if value == 255 { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        if padding > 2 || bits >= 6 { return nil }
        return out
    }
}
