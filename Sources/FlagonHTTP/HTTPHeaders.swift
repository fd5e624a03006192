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
        fields.contains { Self.equalNames($0.name, name) && Self.value($0.value, hasToken: token) }
    }

    /// `true` when the comma-separated field value holds `token` (case-insensitive).
    static func value(_ value: String, hasToken token: String) -> Bool {
        var value = value, token = token
        return value.withUTF8 { bytes in token.withUTF8 { containsToken($0, in: bytes) } }
    }

    /// `true` when one of the comma-separated parts of `bytes`, trimmed of spaces and tabs,
    /// is `wanted` (ASCII case-insensitive): compared in place, no string per part.
    static func containsToken(_ wanted: UnsafeBufferPointer<UInt8>, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = bytes.count
        var start = 0
        while start <= count {
            var end = start
            while end < count && bytes[end] != UInt8(ascii: ",") { end += 1 }
            var low = start, high = end
            while low < high && (bytes[low] == 32 || bytes[low] == 9) { low += 1 }
            while high > low && (bytes[high - 1] == 32 || bytes[high - 1] == 9) { high -= 1 }
            if high > low && high - low == wanted.count {
                var matched = 0
                while matched < wanted.count && bytes[low + matched] | 0x20 == wanted[matched] | 0x20 { matched += 1 }
                if matched == wanted.count { return true }
            }
            start = end + 1
        }
        return false
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
