/// Reads values one at a time, in order, out of JSON text that has already been checked
/// (``JSONValue/validate(_:maxDepth:)``), without building a ``JSONValue`` tree: scalars
/// come out as Swift values, containers are stepped through, and a value nobody reads is
/// skipped. The text is a sequence of values separated by commas, as between an array's
/// brackets (a single value is a sequence of one).
///
/// A reader borrows its bytes: use it only while they are alive.
///
/// ```swift
/// try text.withUnsafeBufferPointer { bytes in
///     var reader = JSONReader(validated: bytes)
///     while reader.nextElement() { print(try reader.readValue()) }
/// }
/// ```
public struct JSONReader {
    /// What the next value is.
    public enum Kind: Sendable, Equatable {
        case null, bool, number, string, array, object
    }

    var parser: JSONParser

    /// A reader at the start of `bytes`, which must have been validated as JSON (a
    /// document, or the text between an array's brackets).
    public init(validated bytes: UnsafeBufferPointer<UInt8>) {
        parser = JSONParser(bytes: bytes, maxDepth: Int.max)
    }

    /// The byte offset the reader is at.
    public var offset: Int { parser.index }

    /// The kind of the value at the reader (`nil` at the end of a sequence or container).
    public mutating func kind() -> Kind? {
        parser.skipWhitespace()
        guard parser.index < parser.bytes.count else { return nil }
        return Self.kind(of: parser.bytes[parser.index])
    }

    static func kind(of byte: UInt8) -> Kind? {
        switch byte {
        case UInt8(ascii: "\""): .string
        case UInt8(ascii: "["): .array
        case UInt8(ascii: "{"): .object
        case UInt8(ascii: "t"), UInt8(ascii: "f"): .bool
        case UInt8(ascii: "n"): .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): .number
        default: nil
        }
    }

    /// Moves to the next element of the sequence or array being read: `true` when there is
    /// one, `false` at its end (an array's `]` is then consumed).
    public mutating func nextElement() -> Bool {
        parser.skipWhitespace()
        guard parser.index < parser.bytes.count else { return false }
        switch parser.bytes[parser.index] {
        case UInt8(ascii: ","):
            parser.index += 1
            parser.skipWhitespace()
            return true
        case UInt8(ascii: "]"):
            parser.index += 1
            return false
        default:
            return true
        }
    }

    /// Enters the array at the reader; read its elements with ``nextElement()``.
    public mutating func enterArray() throws(JSONError) {
        guard kind() == .array else { throw .unexpected(offset: parser.index, "expected an array") }
        parser.index += 1
    }

    /// Enters the object at the reader; read its members with ``nextKey()``.
    public mutating func enterObject() throws(JSONError) {
        guard kind() == .object else { throw .unexpected(offset: parser.index, "expected an object") }
        parser.index += 1
    }

    /// Enters the object at the reader when there is one; `false`, with nothing read, for
    /// any other value.
    public mutating func enterObjectIfPresent() -> Bool {
        guard kind() == .object else { return false }
        parser.index += 1
        return true
    }

    /// The next key of the object being read, with the reader moved to its value; `nil`
    /// at the object's end (its `}` is consumed).
    public mutating func nextKey() throws(JSONError) -> String? {
        guard try moveToKey() else { return nil }
        let key = try parser.parseString()
        try moveToValue()
        return key
    }

    /// Moves past a comma to the next key's opening quote: `false` at the object's end (its
    /// `}` is consumed). Inlined, with the position in a local: it runs once per member.
    @inline(__always)
    mutating func moveToKey() throws(JSONError) -> Bool {
        let text = parser.bytes
        var at = JSONParser.whitespaceEnd(text, from: parser.index)
        if at < text.count && text[at] == UInt8(ascii: ",") { at = JSONParser.whitespaceEnd(text, from: at + 1) }
        parser.index = at
        guard at < text.count else { throw .unexpectedEnd }
        if text[at] == UInt8(ascii: "}") {
            parser.index = at + 1
            return false
        }
        return true
    }

    /// Moves from the end of a key past its colon, to its value.
    @inline(__always)
    mutating func moveToValue() throws(JSONError) {
        let text = parser.bytes
        let at = JSONParser.whitespaceEnd(text, from: parser.index)
        guard at < text.count, text[at] == UInt8(ascii: ":") else {
            parser.index = at
            throw .unexpected(offset: at, "expected :")
        }
        parser.index = JSONParser.whitespaceEnd(text, from: at + 1)
    }

    /// Reads the value at the reader as a tree.
    public mutating func readValue() throws(JSONError) -> JSONValue {
        parser.skipWhitespace()
        return try parser.parseValue()
    }

    /// Reads a scalar (null, boolean, number or string) as a value; `nil`, with nothing
    /// read, when the value is an array or an object.
    public mutating func readScalar() throws(JSONError) -> JSONValue? {
        switch kind() {
        case .array?, .object?: return nil
        default: return try readValue()
        }
    }

    /// Reads the value at the reader when it is a scalar; steps over an array or an object
    /// and returns an empty one of that kind (enough for a scalar reader to name what it
    /// found).
    public mutating func readLeaf() throws(JSONError) -> JSONValue {
        parser.skipWhitespace()
        let value = try parser.leafValue()
        if value.isContainer { try parser.skipValue() }
        return value
    }

    /// Steps over the value at the reader.
    public mutating func skipValue() throws(JSONError) {
        parser.skipWhitespace()
        try parser.skipValue()
    }

    /// The text from the reader to the end, without trailing whitespace; the reader moves to the end.
    public mutating func remainingText() -> [UInt8] {
        parser.skipWhitespace()
        var end = parser.bytes.count
        while end > parser.index, [32, 10, 13, 9].contains(parser.bytes[end - 1]) { end -= 1 }
        defer { parser.index = parser.bytes.count }
        return Array(UnsafeBufferPointer(rebasing: parser.bytes[parser.index..<end]))
    }
}

extension JSONParser {
    /// The value at the index when it is a scalar (read past it); an empty array or object
    /// of the same kind when it is one (the index stays).
    mutating func leafValue() throws(JSONError) -> JSONValue {
        guard index < bytes.count else { throw .unexpectedEnd }
        switch bytes[index] {
        case UInt8(ascii: "["): return .array([])
        case UInt8(ascii: "{"): return .object(JSONObject())
        default: return try parseValue()
        }
    }
}

private extension JSONValue {
    var isContainer: Bool {
        switch self {
        case .array, .object: true
        default: false
        }
    }
}

extension JSONReader {
    /// Reads the value at the reader when it is an integer that fits an `Int` (no fraction,
    /// no exponent); `nil`, with nothing read, for anything else.
    public mutating func readInt() -> Int? {
        parser.skipWhitespace()
        let start = parser.index
        // Anything but a number stops the scan at its first byte.
        guard start < parser.bytes.count, let int = (try? parser.scanNumber())?.intValue else {
            parser.index = start
            return nil
        }
        return int
    }

    /// Reads the value at the reader when it is a string; `nil`, with nothing read, for
    /// anything else.
    public mutating func readString() throws(JSONError) -> String? {
        guard kind() == .string else { return nil }
        return try parser.parseString()
    }
}
