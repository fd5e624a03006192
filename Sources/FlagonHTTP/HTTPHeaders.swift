/// An ordered list of HTTP header fields with case-insensitive lookup.
///
/// ```swift
/// var headers = HTTPHeaders()
/// headers.add("Content-Type", "text/plain")
/// headers["content-type"]   // "text/plain"
/// ```
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral, Equatable {
    /// The fields, in order, with their names as sent.
    public private(set) var fields: [(name: String, value: String)] = []

    /// Creates an empty header list.
    public init() {}

    /// Creates headers from literal pairs.
    public init(dictionaryLiteral elements: (String, String)...) {
        fields.reserveCapacity(elements.count)
        for (name, value) in elements { add(name, value) }
    }

    /// Creates headers from pairs.
    public init(_ pairs: [(String, String)]) {
        fields.reserveCapacity(pairs.count)
        for (name, value) in pairs { add(name, value) }
    }

    /// The number of fields.
    public var count: Int { fields.count }

    /// Appends a field (a name may repeat).
    public mutating func add(_ name: String, _ value: String) {
        fields.append((name, value))
    }

    /// Replaces every field of that name with one field.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        fields.append((name, value))
    }

    /// Removes every field of that name.
    public mutating func remove(_ name: String) {
        fields.removeAll { Self.equalNames($0.name, name) }
    }

    /// The first value of the field, or `nil`; setting replaces every field of that name.
    public subscript(name: String) -> String? {
        get {
            for field in fields where Self.equalNames(field.name, name) { return field.value }
            return nil
        }
        set {
            if let newValue { set(name, newValue) } else { remove(name) }
        }
    }

    /// Every value of the field, in order.
    public func values(for name: String) -> [String] {
        fields.filter { Self.equalNames($0.name, name) }.map(\.value)
    }

    /// How many fields have that name (nothing is copied).
    public func count(of name: String) -> Int {
        var found = 0
        for field in fields where Self.equalNames(field.name, name) { found += 1 }
        return found
    }

    /// Makes room for `count` fields in all.
    public mutating func reserveCapacity(_ count: Int) {
        fields.reserveCapacity(count)
    }

    /// `true` when the field is present.
    public func contains(_ name: String) -> Bool { self[name] != nil }

    /// `true` when a comma-separated field holds `token` (case-insensitive), as in `Connection: close`.
    public func hasToken(_ token: String, in name: String) -> Bool {
        var token = token
        return token.withUTF8 { wanted in
            for field in fields where Self.equalNames(field.name, name) {
                var value = field.value
                // The value's bytes, split at commas and trimmed, compared in place: no string per part.
                let found = value.withUTF8 { bytes in
                    var start = 0
                    while start <= bytes.count {
                        var end = start
                        while end < bytes.count && bytes[end] != UInt8(ascii: ",") { end += 1 }
                        var low = start, high = end
                        while low < high && (bytes[low] == 32 || bytes[low] == 9) { low += 1 }
                        while high > low && (bytes[high - 1] == 32 || bytes[high - 1] == 9) { high -= 1 }
                        if high > low && high - low == wanted.count && (0..<wanted.count).allSatisfy({ bytes[low + $0] | 0x20 == wanted[$0] | 0x20 }) {
                            return true
                        }
                        start = end + 1
                    }
                    return false
                }
                if found { return true }
            }
            return false
        }
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.count == rhs.fields.count
            && zip(lhs.fields, rhs.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    /// ASCII case-insensitive comparison of two header names.
    @inline(__always)
    public static func equalNames(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }   // most names differ in length: no copy, no closure
        var a = a, b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                guard x.count == y.count else { return false }
                for i in 0..<x.count where x[i] | 0x20 != y[i] | 0x20 {
                    return false
                }
                return true
            }
        }
    }
}

extension Substring {
    /// The substring without leading and trailing spaces and tabs (HTTP's optional whitespace).
    public var trimmingSpaces: Substring {
        var s = self
        while let first = s.first, first == " " || first == "\t" { s.removeFirst() }
        while let last = s.last, last == " " || last == "\t" { s.removeLast() }
        return s
    }
}
