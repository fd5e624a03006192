/// A recursive-descent JSON parser (RFC 8259) over UTF-8 bytes.
///
/// Strict: no comments, no trailing commas, no NaN or Infinity, no leading zeros, no
/// control characters in strings, nesting limited (default 128). Escapes and UTF-16
/// surrogate pairs are decoded; a lone surrogate becomes U+FFFD.
struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var index = 0
    var depth = 0

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    mutating func parseDocument() throws(JSONError) -> JSONValue {
        try document(JSONValueBuilder.self)
    }

    mutating func parseValue() throws(JSONError) -> JSONValue {
        try value(JSONValueBuilder.self)
    }

    @inline(__always)
    mutating func skipWhitespace() { index = Self.whitespaceEnd(bytes, from: index) }

    /// The first index from `start` that is not JSON whitespace.
    @inline(__always)
    static func whitespaceEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var at = start
        while at < bytes.count, case let byte = bytes[at], byte == 32 || byte == 10 || byte == 13 || byte == 9 { at += 1 }
        return at
    }

    mutating func expectWord(_ word: StaticString) throws(JSONError) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw .unexpectedEnd }
        let start = word.utf8Start
        for k in 0..<count where bytes[index + k] != start[k] {
            throw .unexpected(offset: index + k, "invalid literal")
        }
        index += count
    }

    // MARK: The grammar, once

    /// One document: a value with white space around it and nothing after.
    mutating func document<B: JSONBuilder>(_ builder: B.Type) throws(JSONError) -> B.Value {
        skipWhitespace()
        let value = try value(builder)
        skipWhitespace()
        if index != bytes.count { throw .unexpected(offset: index, "trailing characters") }
        return value
    }

    /// The value at `index`, read by the grammar and made by `builder` (or only checked, with
    /// ``JSONSkipper``): the one place where JSON's structure is recognised.
    mutating func value<B: JSONBuilder>(_ builder: B.Type) throws(JSONError) -> B.Value {
        guard index < bytes.count else { throw .unexpectedEnd }
        switch bytes[index] {
        case UInt8(ascii: "\""): return try B.string(&self)
        case UInt8(ascii: "{"): return try object(builder)
        case UInt8(ascii: "["): return try array(builder)
        case UInt8(ascii: "t"): try expectWord("true"); return B.bool(true)
        case UInt8(ascii: "f"): try expectWord("false"); return B.bool(false)
        case UInt8(ascii: "n"): try expectWord("null"); return B.null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try B.number(&self)
        default: throw .unexpected(offset: index, "not a JSON value")
        }
    }

    private mutating func array<B: JSONBuilder>(_ builder: B.Type) throws(JSONError) -> B.Value {
        depth += 1
        if depth > maxDepth { throw .tooDeep(max: maxDepth) }
        index += 1
        var items = B.newArray()
        skipWhitespace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return B.finish(items)
        }
        while true {
            skipWhitespace()
            B.append(try value(builder), to: &items)
            skipWhitespace()
            guard index < bytes.count else { throw .unexpectedEnd }
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: ",") { continue }
            if byte == UInt8(ascii: "]") { break }
            throw .unexpected(offset: index - 1, "expected , or ]")
        }
        depth -= 1
        return B.finish(items)
    }

    private mutating func object<B: JSONBuilder>(_ builder: B.Type) throws(JSONError) -> B.Value {
        depth += 1
        if depth > maxDepth { throw .tooDeep(max: maxDepth) }
        index += 1
        var members = B.newObject()
        skipWhitespace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return B.finish(members)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw .unexpectedEnd }
            guard bytes[index] == UInt8(ascii: "\"") else { throw .unexpected(offset: index, "expected a key") }
            let key = try B.key(&self)
            skipWhitespace()
            guard index < bytes.count else { throw .unexpectedEnd }
            guard bytes[index] == UInt8(ascii: ":") else { throw .unexpected(offset: index, "expected :") }
            index += 1
            skipWhitespace()
            B.add(key, try value(builder), to: &members)   // linear in the members, whatever the keys
            skipWhitespace()
            guard index < bytes.count else { throw .unexpectedEnd }
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: ",") { continue }
            if byte == UInt8(ascii: "}") { break }
            throw .unexpected(offset: index - 1, "expected , or }")
        }
        depth -= 1
        return B.finish(members)
    }

    /// Reads a string's characters up to its closing quote or its first backslash (where
    /// `index` stops); returns whether they were all ASCII. Control characters throw.
    mutating func scanPlainCharacters() throws(JSONError) -> Bool {
        // Eight bytes at a time while eight are left: the lowest flagged byte of a word is
        // exactly the first quote, backslash or control character in it. Then byte by byte.
        guard let base = bytes.baseAddress else { throw .unexpectedEnd }
        let count = bytes.count
        var at = index
        var high: UInt64 = 0
        while count - at >= 8 {
            let word = JSONWord.load(bytes, at: at)
            let stops = JSONWord.stops(word)
            if stops != 0 {
                let offset = stops.trailingZeroBitCount / 8
                high |= word & ((1 &<< (UInt64(offset) &* 8)) &- 1)
                at += offset
                break
            }
            high |= word
            at += 8
        }
        while at < count {
            let byte = base[at]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 32 { break }
            high |= UInt64(byte)
            at += 1
        }
        index = at
        guard at < count else { throw .unexpectedEnd }
        if base[at] < 32 { throw .unexpected(offset: at, "control character in string") }
        return high & JSONWord.tops == 0
    }

    mutating func parseString() throws(JSONError) -> String {
        index += 1
        let start = index
        // Fast path: no escapes.
        let ascii = try scanPlainCharacters()
        if bytes[index] == UInt8(ascii: "\"") {
            let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
            index += 1
            return try Self.makeString(slice, ascii: ascii, offset: start)
        }
        var scratch = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return try scratch.withUnsafeBufferPointer { buffer throws(JSONError) in
                    try Self.makeString(buffer, ascii: false, offset: start)
                }
            }
            if byte < 32 { throw .unexpected(offset: index, "control character in string") }
            if byte != UInt8(ascii: "\\") {
                scratch.append(byte)
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { throw .unexpectedEnd }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""): scratch.append(34)
            case UInt8(ascii: "\\"): scratch.append(92)
            case UInt8(ascii: "/"): scratch.append(47)
            case UInt8(ascii: "b"): scratch.append(8)
            case UInt8(ascii: "f"): scratch.append(12)
            case UInt8(ascii: "n"): scratch.append(10)
            case UInt8(ascii: "r"): scratch.append(13)
            case UInt8(ascii: "t"): scratch.append(9)
            case UInt8(ascii: "u"):
                var scalar = try parseHex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    if index + 6 <= bytes.count && bytes[index] == UInt8(ascii: "\\") && bytes[index + 1] == UInt8(ascii: "u") {
                        let save = index
                        index += 2
                        let low = try parseHex4()
                        if (0xDC00...0xDFFF).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            index = save
                            scalar = 0xFFFD
                        }
                    } else {
                        scalar = 0xFFFD
                    }
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    scalar = 0xFFFD
                }
                appendUTF8(Unicode.Scalar(scalar)!, to: &scratch)
            default:
                throw .unexpected(offset: index - 1, "invalid escape")
            }
        }
        throw .unexpectedEnd
    }

    /// Makes a String from UTF-8 bytes, refusing invalid UTF-8 (decoding would replace it).
    @inline(__always)
    static func makeString(_ bytes: UnsafeBufferPointer<UInt8>, ascii: Bool, offset: Int) throws(JSONError) -> String {
        if ascii {
            // Known ASCII: copied in, without the repairing decoder's pass.
            return String(unsafeUninitializedCapacity: bytes.count) { buffer in
                if let source = bytes.baseAddress { buffer.baseAddress!.initialize(from: source, count: bytes.count) }
                return bytes.count
            }
        }
        let string = String(decoding: bytes, as: UTF8.self)
        if !string.utf8.elementsEqual(bytes) { throw .invalidUTF8(offset: offset) }
        return string
    }

    mutating func parseHex4() throws(JSONError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw .unexpectedEnd }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case 48...57: digit = UInt32(byte - 48)
            case 65...70: digit = UInt32(byte - 55)
            case 97...102: digit = UInt32(byte - 87)
            default: throw .unexpected(offset: index, "invalid \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    func appendUTF8(_ scalar: Unicode.Scalar, to out: inout [UInt8]) {
        for unit in UTF8.encode(scalar)! { out.append(unit) }
    }

    /// The grammar of a number, read past: where it starts, and what it holds when integral.
    struct ScannedNumber {
        let start: Int
        let negative: Bool
        let integral: Bool
        let magnitude: UInt64
        let overflow: Bool

        /// The number as an `Int` when it is an integer that fits one.
        var intValue: Int? {
            guard integral && !overflow else { return nil }
            if !negative { return magnitude <= UInt64(Int.max) ? Int(magnitude) : nil }
            if magnitude == UInt64(Int.max) + 1 { return Int.min }
            return magnitude <= UInt64(Int.max) ? -Int(magnitude) : nil
        }
    }

    mutating func scanNumber() throws(JSONError) -> ScannedNumber {
        let start = index
        var negative = false
        if bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        guard index < bytes.count else { throw .unexpectedEnd }
        guard (48...57).contains(bytes[index]) else { throw .unexpected(offset: index, "invalid number") }
        var integral = true
        var magnitude: UInt64 = 0
        var overflow = false
        if bytes[index] == 48 {
            index += 1
            if index < bytes.count && (48...57).contains(bytes[index]) { throw .unexpected(offset: index, "leading zero") }
        } else {
            while index < bytes.count && (48...57).contains(bytes[index]) {
                let (m1, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (m2, o2) = m1.addingReportingOverflow(UInt64(bytes[index] - 48))
                overflow = overflow || o1 || o2
                magnitude = m2
                index += 1
            }
        }
        if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
            integral = false
            index += 1
            let digits = index
            while index < bytes.count && (48...57).contains(bytes[index]) { index += 1 }
            if index == digits { throw .unexpected(offset: index, "digit expected after .") }
        }
        if index < bytes.count && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
            integral = false
            index += 1
            if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) { index += 1 }
            let digits = index
            while index < bytes.count && (48...57).contains(bytes[index]) { index += 1 }
            if index == digits { throw .unexpected(offset: index, "digit expected in exponent") }
        }
        return ScannedNumber(start: start, negative: negative, integral: integral, magnitude: magnitude, overflow: overflow)
    }

    mutating func parseNumber() throws(JSONError) -> JSONValue {
        let scanned = try scanNumber()
        if let int = scanned.intValue { return .int(int) }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[scanned.start..<index]), as: UTF8.self)
        if scanned.integral { return .largeNumber(text) }
        guard let double = Double(text), double.isFinite else { return .largeNumber(text) }
        return .double(double)
    }
}

extension JSONValue {
    /// Parses JSON text in UTF-8 bytes.
    ///
    /// ```swift
    /// let value = try JSONValue.parse(Array(#"[1,"2"]"#.utf8))
    /// ```
    public static func parse(_ bytes: [UInt8], maxDepth: Int = 128) throws(JSONError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { buffer throws(JSONError) in
            var parser = JSONParser(bytes: buffer, maxDepth: maxDepth)
            return try parser.parseDocument()
        }
    }

    /// Parses JSON text in UTF-8 bytes.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = 128) throws(JSONError) -> JSONValue {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        return try parser.parseDocument()
    }

    /// Parses JSON text.
    public static func parse(_ text: String, maxDepth: Int = 128) throws(JSONError) -> JSONValue {
        var text = text
        let result: Result<JSONValue, JSONError> = text.withUTF8 { buffer in
            Result { () throws(JSONError) -> JSONValue in try parse(buffer, maxDepth: maxDepth) }
        }
        return try result.get()
    }
}

/// Eight bytes of a string's text tested at once, for the runs of plain characters that
/// readers and writers step over.
enum JSONWord {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let tops: UInt64 = 0x8080_8080_8080_8080

    /// The eight bytes at `index` (which must leave eight), the first in the low byte.
    @inline(__always)
    static func load(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self))
    }

    /// The high bit of each byte set where a quote, a backslash or a control character
    /// might be: the classic zero-byte and less-than tests, exact for whether such a byte is
    /// present and for the lowest one.
    @inline(__always)
    static func stops(_ word: UInt64) -> UInt64 {
        let quote = word ^ (ones &* 0x22), backslash = word ^ (ones &* 0x5C)
        let stops = ((word &- ones &* 0x20) & ~word) | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)
        return stops & tops
    }

    /// `true` when one of the bytes is a quote, a backslash or a control character.
    @inline(__always)
    static func hasStop(_ word: UInt64) -> Bool { stops(word) != 0 }
}
