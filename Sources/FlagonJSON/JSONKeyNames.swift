/// The member names of an object type, matched against keys as a reader reaches them
/// (``JSONReader/nextKeyIndex(_:)``) without making a `String` of each key.
///
/// ```swift
/// static let names = JSONKeyNames(["x", "y"])
/// while let index = try reader.nextKeyIndex(names) { ... }   // 0, 1, or -1 for another key
/// ```
public struct JSONKeyNames: Sendable {
    let names: [[UInt8]]

    /// The names, in the order their indexes name them.
    public init(_ names: [String]) {
        self.names = names.map { Array($0.utf8) }
    }

    /// The index of the name spelled by `bytes` (UTF-8, escapes resolved), or -1.
    func index(of bytes: UnsafeBufferPointer<UInt8>) -> Int {
        for (index, name) in names.enumerated() where name.count == bytes.count {
            if name.withUnsafeBufferPointer({ $0.elementsEqual(bytes) }) { return index }
        }
        return -1
    }
}

extension JSONReader {
    /// The next key of the object being read, as its index in `names` (-1 for a key not
    /// there), with the reader moved to its value; `nil` at the object's end (its `}` is
    /// consumed). A key without escapes is compared where it lies in the text; the cost per
    /// key is bounded by the names' total length, whatever the input.
    public mutating func nextKeyIndex(_ names: JSONKeyNames) throws(JSONError) -> Int? {
        parser.skipWhitespace()
        guard parser.index < parser.bytes.count else { throw .unexpectedEnd }
        if parser.bytes[parser.index] == UInt8(ascii: ",") {
            parser.index += 1
            parser.skipWhitespace()
        }
        guard parser.index < parser.bytes.count else { throw .unexpectedEnd }
        if parser.bytes[parser.index] == UInt8(ascii: "}") {
            parser.index += 1
            return nil
        }
        let index: Int
        let start = parser.index + 1
        parser.index = start
        _ = try parser.scanPlainCharacters()
        if parser.index < parser.bytes.count, parser.bytes[parser.index] == UInt8(ascii: "\"") {
            index = names.index(of: UnsafeBufferPointer(rebasing: parser.bytes[start..<parser.index]))
            parser.index += 1
        } else {
            parser.index = start - 1
            var key = try parser.parseString()
            index = key.withUTF8 { names.index(of: $0) }
        }
        parser.skipWhitespace()
        guard parser.index < parser.bytes.count, parser.bytes[parser.index] == UInt8(ascii: ":") else {
            throw .unexpected(offset: parser.index, "expected :")
        }
        parser.index += 1
        parser.skipWhitespace()
        return index
    }
}
