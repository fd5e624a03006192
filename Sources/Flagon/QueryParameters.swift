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
        // Split on the bytes (ASCII delimiters), not on the characters: no grapheme breaking.
        var rest = Substring(encoded)
        while !rest.isEmpty {
            let end = rest.utf8.firstIndex(of: UInt8(ascii: "&")) ?? rest.endIndex
            let part = rest[..<end]
            examined += part.utf8.count + 1
            rest = end == rest.endIndex ? rest[end...] : rest[rest.utf8.index(after: end)...]
            if part.isEmpty { continue }
            examined += part.utf8.count   // the search for "=" and the decoding
            if let equals = part.utf8.firstIndex(of: UInt8(ascii: "=")) {
                pairs.append((PercentDecoding.decode(part[..<equals], plusIsSpace: true),
                              PercentDecoding.decode(part[part.utf8.index(after: equals)...], plusIsSpace: true)))
            } else {
                pairs.append((PercentDecoding.decode(part, plusIsSpace: true), ""))
            }
        }
    }

    /// The first value of `name`.
    public subscript(name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }

    /// Every value of `name`.
    public func all(_ name: String) -> [String] {
        pairs.filter { $0.name == name }.map(\.value)
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
        var utf8 = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = 0
        while i < utf8.count {
            let byte = utf8[i]
            if byte == 37, i + 2 < utf8.count, let high = hex(utf8[i + 1]), let low = hex(utf8[i + 2]) {
                out.append(high << 4 | low)
                i += 3
            } else {
                out.append(plusIsSpace && byte == 43 ? 32 : byte)
                i += 1
            }
        }
        utf8 = out
        return String(decoding: utf8, as: UTF8.self)
    }

    static func decode(_ text: String, plusIsSpace: Bool) -> String {
        decode(Substring(text), plusIsSpace: plusIsSpace)
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
