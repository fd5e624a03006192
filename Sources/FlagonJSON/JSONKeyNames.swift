/// The member names of an object type, matched against keys as a reader reaches them
/// (``JSONReader/nextKeyIndex(_:)``) without making a `String` of each key.
///
/// ```swift
/// static let names = JSONKeyNames(["x", "y"])
/// while let index = try reader.nextKeyIndex(names) { ... }   // 0, 1, or -1 for another key
/// ```
public struct JSONKeyNames: Sendable {
    /// The names' UTF-8 bytes, one after the other.
    let bytes: [UInt8]
    /// Where each name ends in `bytes`.
    let ends: [Int]

    /// The names, in the order their indexes name them.
    public init(_ names: [String]) {
        var bytes: [UInt8] = []
        var ends: [Int] = []
        for name in names {
            bytes.append(contentsOf: name.utf8)
            ends.append(bytes.count)
        }
        self.bytes = bytes
        self.ends = ends
    }

    /// The index of the name spelled by `key` (UTF-8, escapes resolved), or -1.
    func index(of key: UnsafeBufferPointer<UInt8>) -> Int {
        bytes.withUnsafeBufferPointer { all in
            var start = 0
            for (index, end) in ends.enumerated() {
                defer { start = end }
                guard end - start == key.count else { continue }
                var offset = 0
                while offset < key.count && all[start + offset] == key[offset] { offset += 1 }
                if offset == key.count { return index }
            }
            return -1
        }
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
