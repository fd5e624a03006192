/// Checking JSON text without building a value: the same grammar and limits as
/// ``JSONValue/parse(_:maxDepth:)`` (strict RFC 8259, nesting limit, valid UTF-8, valid
/// escapes), for text that is passed on as it is. Nothing is allocated for ASCII text.
extension JSONParser {
    mutating func skipDocument() throws(JSONError) {
        try document(JSONSkipper.self)
    }

    /// Moves past the value at the index, checking it as the grammar reads it.
    mutating func skipValue() throws(JSONError) {
        try value(JSONSkipper.self)
    }

    /// A string: control characters, escapes and (for non-ASCII text) UTF-8 checked.
    mutating func skipString() throws(JSONError) {
        index += 1
        let start = index
        var ascii = true
        while true {
            if !(try scanPlainCharacters()) { ascii = false }
            if bytes[index] == UInt8(ascii: "\"") {
                if !ascii { try Self.checkUTF8(UnsafeBufferPointer(rebasing: bytes[start..<index]), offset: start) }
                index += 1
                return
            }
            index += 1   // the backslash
            guard index < bytes.count else { throw .unexpectedEnd }
            switch bytes[index] {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                 UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                index += 1
            case UInt8(ascii: "u"):
                index += 1
                _ = try parseHex4()
            default:
                throw .unexpected(offset: index, "invalid escape")
            }
        }
    }

    /// Throws unless the bytes are valid UTF-8 (as a decoding parse would refuse them).
    static func checkUTF8(_ bytes: UnsafeBufferPointer<UInt8>, offset: Int) throws(JSONError) {
        _ = try makeString(bytes, ascii: false, offset: offset)
    }
}

extension JSONValue {
    /// Checks that the bytes are one JSON document, exactly as ``parse(_:maxDepth:)-(UnsafeBufferPointer<UInt8>,_)``
    /// would accept it, without building the value.
    ///
    /// ```swift
    /// try JSONValue.validate(buffer)   // throws JSONError where parse would
    /// ```
    public static func validate(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = 128) throws(JSONError) {
        // The common text passes the one-pass check; the rest is decided (and explained) below.
        if JSONQuickCheck.accepts(bytes, maxDepth: maxDepth) { return }
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        try parser.skipDocument()
    }

    /// ``validate(_:maxDepth:)`` for a document the caller has read the start of already:
    /// `bytes[..<elementsStart]` must be an array's opening bracket and its first element
    /// followed by a comma, as checked JSON. The rest is checked from there; when that
    /// quick pass cannot decide, the whole document is checked as `validate` does.
    package static func validate(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = 128,
                                 arrayElementsFrom elementsStart: Int) throws(JSONError) {
        if JSONQuickCheck.acceptsArrayRest(UnsafeBufferPointer(rebasing: bytes[elementsStart...]), maxDepth: maxDepth) { return }
        try validate(bytes, maxDepth: maxDepth)
    }
}
