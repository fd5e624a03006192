/// Measured writing: the exact length of a scalar's JSON text first, then the text written
/// through a pointer into memory of that length (a frame being built), with no array in
/// between. The text is byte for byte what the array writers above produce.
extension JSONSerializer {
    /// The length of `value`'s decimal text (``writeInt(_:into:)``).
    @inlinable
    public static func intTextLength(_ value: Int) -> Int {
        var magnitude = value.magnitude
        var count = value < 0 ? 2 : 1
        while magnitude >= 10 {
            magnitude /= 10
            count += 1
        }
        return count
    }

    /// Writes `value`'s decimal text, ``intTextLength(_:)`` bytes, at `out`; returns its end.
    @inlinable
    public static func writeInt(_ value: Int, at out: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        let end = out + intTextLength(value)
        var magnitude = value.magnitude
        var at = end
        repeat {
            at -= 1
            at.storeBytes(of: UInt8(truncatingIfNeeded: 48 &+ magnitude % 10), as: UInt8.self)
            magnitude /= 10
        } while magnitude > 0
        if value < 0 { out.storeBytes(of: UInt8(ascii: "-"), as: UInt8.self) }
        return end
    }

    /// The length of `string`'s JSON literal, quotes and escapes included
    /// (``writeString(_:into:)``).
    public static func stringTextLength(_ string: String) -> Int {
        var string = string
        return string.withUTF8(textLength)
    }

    static func textLength(_ utf8: UnsafeBufferPointer<UInt8>) -> Int {
        var length = utf8.count + 2
        var at = firstStop(utf8, from: 0)
        while at < utf8.count {
            length += escapeLength(utf8[at]) - 1
            at = firstStop(utf8, from: at + 1)
        }
        return length
    }

    /// Writes `string`'s JSON literal, ``stringTextLength(_:)`` bytes, at `out`; returns its end.
    public static func writeString(_ string: String, at out: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        var string = string
        return string.withUTF8 { utf8 in
            out.storeBytes(of: 34, as: UInt8.self)
            var end = out + 1
            var runStart = 0
            var at = firstStop(utf8, from: 0)
            while true {
                if let base = utf8.baseAddress, at > runStart {
                    end.copyMemory(from: base + runStart, byteCount: at - runStart)
                    end += at - runStart
                }
                guard at < utf8.count else { break }
                end = writeEscape(utf8[at], at: end)
                runStart = at + 1
                at = firstStop(utf8, from: runStart)
            }
            end.storeBytes(of: 34, as: UInt8.self)
            return end + 1
        }
    }

    /// Where the first byte from `start` on that a string literal escapes is (`utf8.count`
    /// when none is): eight bytes at a time, then one by one.
    static func firstStop(_ utf8: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var at = start
        while utf8.count - at >= 8 {
            let stops = JSONWord.stops(JSONWord.load(utf8, at: at))
            if stops != 0 { return at + stops.trailingZeroBitCount / 8 }
            at += 8
        }
        if at < utf8.count && utf8.count >= 8 {
            // The last eight bytes, the ones before `at` (1 to 7 of them) masked out.
            let last = utf8.count - 8
            let stops = JSONWord.stops(JSONWord.load(utf8, at: last)) & ~((1 &<< (UInt64(at - last) &* 8)) &- 1)
            return stops == 0 ? utf8.count : last + stops.trailingZeroBitCount / 8
        }
        while at < utf8.count {
            let byte = utf8[at]
            if byte < 32 || byte == 34 || byte == 92 { return at }
            at += 1
        }
        return at
    }

    /// The length of the escape of a byte ``firstStop(_:from:)`` stopped at.
    static func escapeLength(_ byte: UInt8) -> Int {
        switch byte {
        case 34, 92, 8, 12, 10, 13, 9: 2
        default: 6
        }
    }

    /// Writes the escape of a byte ``firstStop(_:from:)`` stopped at; returns its end.
    static func writeEscape(_ byte: UInt8, at out: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        let short: UInt8? = switch byte {
        case 34: 34
        case 92: 92
        case 8: UInt8(ascii: "b")
        case 12: UInt8(ascii: "f")
        case 10: UInt8(ascii: "n")
        case 13: UInt8(ascii: "r")
        case 9: UInt8(ascii: "t")
        default: nil
        }
        out.storeBytes(of: 92, as: UInt8.self)
        if let short {
            out.storeBytes(of: short, toByteOffset: 1, as: UInt8.self)
            return out + 2
        }
        let hex: StaticString = "0123456789abcdef"
        for (offset, digit) in [UInt8(ascii: "u"), 48, 48, hex.utf8Start[Int(byte >> 4)], hex.utf8Start[Int(byte & 15)]].enumerated() {
            out.storeBytes(of: digit, toByteOffset: 1 + offset, as: UInt8.self)
        }
        return out + 6
    }
}
