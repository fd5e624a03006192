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

    /// No name holds a quote, a backslash or a control character: one that matches the
    /// bytes before a quote is the whole key.
    let plain: Bool

    func length(of index: Int) -> Int { ends[index] - (index == 0 ? 0 : ends[index - 1]) }

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
        plain = !bytes.contains { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 32 }
    }

    /// The index of the name spelled by `key` (UTF-8, escapes resolved), or -1.
    func index(of key: UnsafeBufferPointer<UInt8>) -> Int {
        bytes.withUnsafeBufferPointer { all in
            var start = 0
            for (index, end) in ends.enumerated() {
                defer { start = end }
                if end - start == key.count && Self.equal(all, start, key, 0, key.count) { return index }
            }
            return -1
        }
    }

    /// The index of the name whose bytes, followed by a closing quote, start `text` at
    /// `at`: the common key (no escape) matched where it lies, with no scan for its end.
    /// Name `first` is tried first (the one after the key before, in the order fields are
    /// usually written); -1 when none matches.
    func index(quotedIn text: UnsafeBufferPointer<UInt8>, at: Int, first: Int) -> Int {
        bytes.withUnsafeBufferPointer { all in
            ends.withUnsafeBufferPointer { ends in
                let count = ends.count
                var index = first < count ? first : 0
                for _ in 0..<count {
                    let start = index == 0 ? 0 : ends[index - 1], length = ends[index] - start
                    if at + length < text.count && text[at + length] == UInt8(ascii: "\"")
                        && Self.equal(all, start, text, at, length) {
                        return index
                    }
                    index = index + 1 == count ? 0 : index + 1
                }
                return -1
            }
        }
    }

    private static func equal(_ a: UnsafeBufferPointer<UInt8>, _ i: Int, _ b: UnsafeBufferPointer<UInt8>, _ j: Int, _ count: Int) -> Bool {
        var offset = 0
        while offset < count && a[i + offset] == b[j + offset] { offset += 1 }
        return offset == count
    }
}

extension JSONReader {
    /// The next key of the object being read, as its index in `names` (-1 for a key not
    /// there), with the reader moved to its value; `nil` at the object's end (its `}` is
    /// consumed). A key without escapes is compared where it lies in the text, trying first
    /// the name after `previous` (the index this returned for the key before); the cost per
    /// key is bounded by the names' total length, whatever the input.
    public mutating func nextKeyIndex(_ names: JSONKeyNames, after previous: Int = -1) throws(JSONError) -> Int? {
        guard try moveToKey() else { return nil }
        let start = parser.index + 1
        var index = names.plain ? names.index(quotedIn: parser.bytes, at: start, first: previous + 1) : -1
        if index >= 0 {
            parser.index = start + names.length(of: index) + 1
        } else {
            // Another key, or one with escapes: read it whole.
            var key = try parser.parseString()
            index = key.withUTF8 { names.index(of: $0) }
        }
        try moveToValue()
        return index
    }
}
