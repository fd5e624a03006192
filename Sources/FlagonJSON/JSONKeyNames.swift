/// The member names of an object type, matched against keys as a reader reaches them
/// (``JSONReader/nextKeyIndex(_:)``) without making a `String` of each key.
///
/// ```swift
/// static let names = JSONKeyNames(["x", "y"])
/// while let index = try reader.nextKeyIndex(names) { ... }   // 0, 1, or -1 for another key
/// ```
public struct JSONKeyNames: Sendable {
    /// One name: where its bytes lie in `bytes`, and its spellings as words (little-endian)
    /// with the masks that keep them, for one compare each.
    struct Name: Sendable {
        let start: Int
        let length: Int
        /// The name and its closing quote (a length of 0 for a name of more than 7 bytes).
        let quoted: (word: UInt64, mask: UInt64, length: Int)
        /// The member as `JSON.stringify` writes it, `"name":` first in an object and
        /// `,"name":` after a value, as words with their masks and lengths (a length of 0
        /// where it does not fit in eight bytes).
        let firstMember: (word: UInt64, mask: UInt64, length: Int)
        let nextMember: (word: UInt64, mask: UInt64, length: Int)

        /// `bytes` as the first bytes of a word, with the mask that keeps them; a length of
        /// 0 for more than eight.
        static func word(_ bytes: [UInt8]) -> (word: UInt64, mask: UInt64, length: Int) {
            guard bytes.count <= 8 else { return (0, 0, 0) }
            var word: UInt64 = 0, mask: UInt64 = 0
            for (offset, byte) in bytes.enumerated() {
                word |= UInt64(byte) << (8 * offset)
                mask |= 0xFF << (8 * offset)
            }
            return (word, mask, bytes.count)
        }
    }

    /// The names' UTF-8 bytes, one after the other.
    let bytes: [UInt8]
    let names: [Name]

    /// No name holds a quote, a backslash or a control character: one that matches the
    /// bytes before a quote is the whole key.
    let plain: Bool

    func length(of index: Int) -> Int { names[index].length }

    /// The names, in the order their indexes name them.
    public init(_ names: [String]) {
        var bytes: [UInt8] = []
        var entries: [Name] = []
        for name in names {
            let start = bytes.count
            bytes.append(contentsOf: name.utf8)
            let length = bytes.count - start
            let member = [UInt8(ascii: "\"")] + Array(name.utf8) + [UInt8(ascii: "\""), UInt8(ascii: ":")]
            entries.append(Name(start: start, length: length, quoted: Name.word(Array(member.dropFirst().dropLast())),
                                firstMember: Name.word(member), nextMember: Name.word([UInt8(ascii: ",")] + member)))
        }
        self.bytes = bytes
        self.names = entries
        plain = !bytes.contains { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 32 }
    }

    /// The index of the name spelled by `key` (UTF-8, escapes resolved), or -1.
    func index(of key: UnsafeBufferPointer<UInt8>) -> Int {
        bytes.withUnsafeBufferPointer { all in
            for (index, name) in names.enumerated()
            where name.length == key.count && Self.equal(all, name.start, key, 0, key.count) {
                return index
            }
            return -1
        }
    }

    /// The index of the name whose bytes, followed by a closing quote, start `text` at
    /// `at`: the common key (no escape) matched where it lies, with no scan for its end.
    /// Name `first` is tried first (the one after the key before, in the order fields are
    /// usually written); -1 when none matches. A name of up to 7 bytes is one compare of a
    /// word where 8 bytes of text remain.
    func index(quotedIn text: UnsafeBufferPointer<UInt8>, at: Int, first: Int) -> Int {
        names.withUnsafeBufferPointer { names in
            let count = names.count
            var index = first < count ? first : 0
            let word = at + 8 <= text.count ? JSONWord.load(text, at: at) : nil
            for _ in 0..<count {
                let name = names[index]
                if name.quoted.length > 0, let word {
                    if word & name.quoted.mask == name.quoted.word { return index }
                } else if at + name.length < text.count && text[at + name.length] == UInt8(ascii: "\"")
                    && bytes.withUnsafeBufferPointer({ Self.equal($0, name.start, text, at, name.length) }) {
                    return index
                }
                index = index + 1 == count ? 0 : index + 1
            }
            return -1
        }
    }

    /// The length of member `index` as `JSON.stringify` writes it (``Name/firstMember`` when
    /// `first`, else ``Name/nextMember``) when the text at `at` is exactly that; 0 otherwise.
    func canonicalMember(_ index: Int, first: Bool, in text: UnsafeBufferPointer<UInt8>, at: Int) -> Int {
        guard plain, index < names.count, at + 8 <= text.count else { return 0 }
        let member = first ? names[index].firstMember : names[index].nextMember
        return member.length > 0 && JSONWord.load(text, at: at) & member.mask == member.word ? member.length : 0
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
        // The next name, written as `JSON.stringify` writes it: one compare of a word. The
        // reader is then right after the `{` (first) or the value before.
        let matched = names.canonicalMember(previous + 1, first: previous < 0, in: parser.bytes, at: parser.index)
        if matched > 0 {
            parser.index = JSONParser.whitespaceEnd(parser.bytes, from: parser.index + matched)
            return previous + 1
        }
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
