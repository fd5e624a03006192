/// Decoded `name=value` pairs of a query string or an urlencoded form, in order; a name
/// may repeat.
///
/// ```swift
/// let query = QueryParameters("tag=a&tag=b&q=hello+world")
/// query["q"]              // "hello world"
/// query.all("tag")        // ["a", "b"]
/// ```
public struct QueryParameters: Sendable, Equatable, Sequence {
    /// The pairs, in order.
    public private(set) var pairs: [(name: String, value: String)] = []

    /// Parses `a=1&b=2` (`+` is a space, `%XX` escapes are decoded).
    public init(_ encoded: String) {
        var examined = 0
        self.init(encoded, examined: &examined)
    }

    /// Parses, adding to `examined` the bytes looked at: each byte of `encoded` a bounded
    /// number of times (one forward pass to split, one to decode), for tests that count work.
    init(_ encoded: String, examined: inout Int) {
        // One pass over the bytes (ASCII delimiters), not the characters: no grapheme breaking,
        // and a part with nothing to decode becomes its string at once.
        var encoded = encoded
        var found: [(name: String, value: String)] = []
        found.reserveCapacity(4)
        encoded.withUTF8 { bytes in
            var start = 0
            let count = bytes.count
            while start < count {
                var end = start, equals = -1, escapes = false
                while end < count {
                    let byte = bytes[end]
                    if byte == 38 { break }                                  // &
                    if byte == 61 && equals < 0 { equals = end }             // =
                    if byte == 37 || byte == 43 { escapes = true }           // % +
                    end += 1
                }
                examined += end - start + 1
                if end > start {
                    examined += end - start   // the decoding
                    let nameEnd = equals < 0 ? end : equals
                    let name = PercentDecoding.decode(UnsafeBufferPointer(rebasing: bytes[start..<nameEnd]), escapes: escapes)
                    let value = equals < 0 ? "" : PercentDecoding.decode(UnsafeBufferPointer(rebasing: bytes[equals + 1..<end]),
                                                                          escapes: escapes)
                    found.append((name, value))
                }
                start = end + 1
            }
        }
        pairs = found
    }

    /// The first value of `name`.
    public subscript(name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }

    /// Every value of `name`.
    public func all(_ name: String) -> [String] {
        pairs.filter { $0.name == name }.map(\.value)
    }

    /// How many pairs have that name (nothing is copied).
    public func count(of name: String) -> Int {
        var found = 0
        for pair in pairs where pair.name == name { found += 1 }
        return found
    }

    /// The first value of `name` as an integer.
    public func int(_ name: String) -> Int? { self[name].flatMap { Int($0) } }

    /// `true` when there are no pairs.
    public var isEmpty: Bool { pairs.isEmpty }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { pairs.makeIterator() }

    public static func == (lhs: QueryParameters, rhs: QueryParameters) -> Bool {
        lhs.pairs.count == rhs.pairs.count && zip(lhs.pairs, rhs.pairs).allSatisfy { $0 == $1 }
    }
}

/// Percent-decoding of URL components.
enum PercentDecoding {
    static func decode(_ text: Substring, plusIsSpace: Bool) -> String {
        guard text.utf8.contains(where: { $0 == 37 || (plusIsSpace && $0 == 43) }) else { return String(text) }
        return decode(Array(text.utf8), plusIsSpace: plusIsSpace)
    }

    static func decode(_ text: String, plusIsSpace: Bool) -> String {
        decode(Substring(text), plusIsSpace: plusIsSpace)
    }

    /// A query or form component (`+` is a space); `escapes` is `false` when the caller saw
    /// no `%` or `+` in it, so the bytes are the text.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, escapes: Bool) -> String {
        if !escapes { return String(decoding: bytes, as: UTF8.self) }
        return decode(bytes, plusIsSpace: true)
    }

    static func decode<Bytes: RandomAccessCollection<UInt8>>(_ utf8: Bytes, plusIsSpace: Bool) -> String where Bytes.Index == Int {
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = utf8.startIndex
        while i < utf8.endIndex {
            let byte = utf8[i]
            if byte == 37, i + 2 < utf8.endIndex, let high = hex(utf8[i + 1]), let low = hex(utf8[i + 2]) {
                out.append(high << 4 | low)
                i += 3
            } else {
                out.append(plusIsSpace && byte == 43 ? 32 : byte)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: byte - 48
        case 65...70: byte - 55
        case 97...102: byte - 87
        default: nil
        }
    }
}
