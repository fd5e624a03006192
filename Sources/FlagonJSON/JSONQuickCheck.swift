/// A one-pass, non-recursive check of the JSON that clients send most: ASCII strings
/// (simple escapes allowed), numbers, literals, arrays and objects up to 64 deep.
///
/// It answers `true` only for text the strict grammar accepts; anything it does not
/// cover (non-ASCII bytes, deeper nesting) or does not accept answers `false`, and the
/// caller then runs the full check, which decides and says why. So it may only ever be
/// faster, never more lenient. Strings are scanned eight bytes at a time.
enum JSONQuickCheck {
    /// Containers the check follows before it leaves the text to the full check.
    static let depthLimit = 64

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// `true` when the bytes are certainly one valid JSON document no deeper than `maxDepth`.
    static func accepts(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        let end = bytes.count
        let limit = min(maxDepth, depthLimit)
        var i = 0
        var depth = 0
        var objects: UInt64 = 0   // bit d - 1 set when the container at depth d is an object
        var expectingKey = false  // after `{` or an object's `,`
        while true {
            // A value (or, in an object, a key and its colon first).
            i = skipWhitespace(base, i, end)
            guard i < end else { return false }
            if expectingKey {
                guard base[i] == UInt8(ascii: "\""), let next = scanString(base, i + 1, end) else { return false }
                i = skipWhitespace(base, next, end)
                guard i < end, base[i] == UInt8(ascii: ":") else { return false }
                i = skipWhitespace(base, i + 1, end)
                guard i < end else { return false }
                expectingKey = false
            }
            let byte = base[i]
            switch byte {
            case UInt8(ascii: "\""):
                guard let next = scanString(base, i + 1, end) else { return false }
                i = next
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                guard depth <= limit else { return false }
                let isObject = byte == UInt8(ascii: "{")
                if isObject { objects |= 1 &<< UInt64(depth - 1) } else { objects &= ~(1 &<< UInt64(depth - 1)) }
                i = skipWhitespace(base, i + 1, end)
                guard i < end else { return false }
                if base[i] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    depth -= 1
                    i += 1
                } else {
                    expectingKey = isObject
                    continue
                }
            case UInt8(ascii: "t"):
                guard matches(base, i, end, "true") else { return false }
                i += 4
            case UInt8(ascii: "f"):
                guard matches(base, i, end, "false") else { return false }
                i += 5
            case UInt8(ascii: "n"):
                guard matches(base, i, end, "null") else { return false }
                i += 4
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard let next = scanNumber(base, i, end) else { return false }
                i = next
            default:
                return false
            }
            // After a value: close containers, or a comma and the next value.
            while true {
                i = skipWhitespace(base, i, end)
                if depth == 0 { return i == end }
                guard i < end else { return false }
                let inObject = objects &>> UInt64(depth - 1) & 1 == 1
                let separator = base[i]
                i += 1
                if separator == UInt8(ascii: ",") {
                    expectingKey = inObject
                    break
                }
                guard separator == (inObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { return false }
                depth -= 1
            }
        }
    }

    @inline(__always)
    private static func skipWhitespace(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int {
        var i = start
        while i < end {
            let byte = base[i]
            if byte > 32 { break }   // every token starts above the space
            guard byte == 32 || byte == 10 || byte == 13 || byte == 9 else { break }
            i += 1
        }
        return i
    }

    @inline(__always)
    private static func matches(_ base: UnsafePointer<UInt8>, _ i: Int, _ end: Int, _ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard end - i >= count else { return false }
        let letters = word.utf8Start
        for k in 0..<count where base[i + k] != letters[k] { return false }
        return true
    }

    /// Past a string's closing quote (`start` is just after the opening one); `nil` for a
    /// control character, a non-ASCII byte, an unusual escape or a missing quote.
    @inline(__always)
    private static func scanString(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        var i = start
        while true {
            // Eight bytes at a time while none is a quote, a backslash, a control byte or non-ASCII.
            while i + 8 <= end {
                let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                let special = ((word ^ (ones &* 0x22)) &- ones) & ~(word ^ (ones &* 0x22))   // a quote
                    | ((word ^ (ones &* 0x5C)) &- ones) & ~(word ^ (ones &* 0x5C))           // a backslash
                    | (word &- ones &* 0x20) & ~word                                          // below 0x20
                    | word                                                                    // 0x80 and up
                if special & highs != 0 {
                    // The lowest flagged byte is exact (borrows only run upwards from a true match).
                    i += (special & highs).trailingZeroBitCount >> 3
                    break
                }
                i += 8
            }
            guard i < end else { return nil }
            let byte = base[i]
            if byte == UInt8(ascii: "\"") { return i + 1 }
            if byte == UInt8(ascii: "\\") {
                guard i + 1 < end else { return nil }
                switch base[i + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 2
                    continue
                default:
                    return nil   // \u escapes and invalid ones: the full check
                }
            }
            guard byte >= 0x20 && byte < 0x80 else { return nil }
            i += 1
        }
    }

    /// Past a number in the strict grammar; `nil` when it is not one.
    @inline(__always)
    private static func scanNumber(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        var i = start
        if base[i] == UInt8(ascii: "-") { i += 1 }
        guard i < end else { return nil }
        if base[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            guard isDigit(base[i]) else { return nil }
            while i < end && isDigit(base[i]) { i += 1 }
        }
        if i < end && base[i] == UInt8(ascii: ".") {
            i += 1
            let digits = i
            while i < end && isDigit(base[i]) { i += 1 }
            guard i > digits else { return nil }
        }
        if i < end && (base[i] | 0x20) == UInt8(ascii: "e") {
            i += 1
            if i < end && (base[i] == UInt8(ascii: "+") || base[i] == UInt8(ascii: "-")) { i += 1 }
            let digits = i
            while i < end && isDigit(base[i]) { i += 1 }
            guard i > digits else { return nil }
        }
        // A digit right after a leading zero is refused by the grammar.
        if i < end && isDigit(base[i]) { return nil }
        return i
    }

    @inline(__always)
    private static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }
}
