/// Decodes `Decodable` types straight from a ``JSONValue`` (no text, no Foundation).
///
/// ```swift
/// struct Move: Decodable { let x: Int; let y: Int }
/// let move = try JSONValueDecoder().decode(Move.self, from: ["x": 1, "y": 2])
/// ```
///
/// Numbers convert when they fit exactly; `[UInt8]` also accepts a binary value; `Data`-like
/// types see binary values as arrays of bytes.
public struct JSONValueDecoder: Sendable {
    /// Creates a decoder.
    public init() {}

    /// Decodes a value of `type` from `value`.
    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        if T.self == [UInt8].self, case .binary(let bytes) = value { return bytes as! T }
        return try T(from: ValueDecoder(value: value, codingPath: []))
    }
}

/// A coding key made at run time (array indices, object keys).
struct DynamicCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?

    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

struct ValueDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let object) = value else { throw mismatch(codingPath, "an object", value) }
        return KeyedDecodingContainer(KeyedContainer<Key>(object: object, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        switch value {
        case .array(let items): return UnkeyedContainer(items: items, codingPath: codingPath)
        case .binary(let bytes): return UnkeyedContainer(items: bytes.map { .int(Int($0)) }, codingPath: codingPath)
        default: throw mismatch(codingPath, "an array", value)
        }
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValueContainer(value: value, codingPath: codingPath)
    }
}

extension JSONValue {
    /// What the value is, for error messages ("a number", "an object").
    @usableFromInline package var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double, .largeNumber: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        case .binary: "binary data"
        }
    }
}

func mismatch(_ path: [any CodingKey], _ expected: String, _ value: JSONValue) -> DecodingError {
    DecodingError.typeMismatch(
        Any.self, DecodingError.Context(codingPath: path, debugDescription: "expected \(expected), got \(value.kindName)"))
}

/// Reads scalars out of a JSON value; shared by the three container kinds.
struct ScalarReader {
    let path: [any CodingKey]

    func bool(_ value: JSONValue) throws -> Bool {
        guard case .bool(let bool) = value else { throw mismatch(path, "a boolean", value) }
        return bool
    }

    func string(_ value: JSONValue) throws -> String {
        guard case .string(let string) = value else { throw mismatch(path, "a string", value) }
        return string
    }

    func double(_ value: JSONValue) throws -> Double {
        guard let double = value.doubleValue else { throw mismatch(path, "a number", value) }
        return double
    }

    func integer<T: FixedWidthInteger>(_ value: JSONValue, _ type: T.Type) throws -> T {
        let exact: T?
        switch value {
        case .int(let int): exact = T(exactly: int)
        case .double(let double): exact = T(exactly: double)
        case .largeNumber(let text): exact = T(text)
        default: exact = nil
        }
        guard let exact else { throw mismatch(path, "an integer that fits \(T.self)", value) }
        return exact
    }

    func decode<T: Decodable>(_ value: JSONValue, _ type: T.Type) throws -> T {
        if T.self == [UInt8].self, case .binary(let bytes) = value { return bytes as! T }
        return try T(from: ValueDecoder(value: value, codingPath: path))
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let object: JSONObject
    let codingPath: [any CodingKey]
    /// Where each key is, for an object too large to scan per key (a `[String: T]` reads
    /// every key: scanning would make it quadratic).
    private let positions: [String: Int]?

    init(object: JSONObject, codingPath: [any CodingKey]) {
        self.object = object
        self.codingPath = codingPath
        positions = object.count > JSONObject.Builder.scanLimit
            ? Dictionary(object.members.enumerated().map { ($1.key, $0) }, uniquingKeysWith: { $1 }) : nil
    }

    /// The value of `name`: scanned in a small object, looked up in a large one.
    private func member(_ name: String) -> JSONValue? {
        guard let positions else { return object[name] }
        return positions[name].map { object.members[$0].value }
    }

    var allKeys: [Key] { object.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { member(key.stringValue) != nil }

    private func value(_ key: Key) throws -> JSONValue {
        guard let value = member(key.stringValue) else {
            throw DecodingError.keyNotFound(
                key, DecodingError.Context(codingPath: codingPath, debugDescription: "missing key \"\(key.stringValue)\""))
        }
        return value
    }

    private func reader(_ key: Key) -> ScalarReader { ScalarReader(path: codingPath + [key]) }

    func decodeNil(forKey key: Key) throws -> Bool { (member(key.stringValue) ?? .null) == .null }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try reader(key).bool(value(key)) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try reader(key).string(value(key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try reader(key).double(value(key)) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { Float(try reader(key).double(value(key))) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try reader(key).integer(value(key), type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try reader(key).integer(value(key), type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try reader(key).integer(value(key), type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try reader(key).integer(value(key), type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try reader(key).integer(value(key), type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try reader(key).integer(value(key), type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try reader(key).integer(value(key), type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try reader(key).integer(value(key), type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try reader(key).integer(value(key), type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try reader(key).integer(value(key), type) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try reader(key).decode(value(key), type) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try ValueDecoder(value: value(key), codingPath: codingPath + [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try ValueDecoder(value: value(key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        ValueDecoder(value: member("super") ?? .null, codingPath: codingPath + [DynamicCodingKey(stringValue: "super")])
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        ValueDecoder(value: member(key.stringValue) ?? .null, codingPath: codingPath + [key])
    }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let items: [JSONValue]
    let codingPath: [any CodingKey]
    var currentIndex = 0

    init(items: [JSONValue], codingPath: [any CodingKey]) {
        self.items = items
        self.codingPath = codingPath
    }

    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private mutating func next() throws -> (JSONValue, ScalarReader) {
        let key = DynamicCodingKey(intValue: currentIndex)
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                Any.self, DecodingError.Context(codingPath: codingPath + [key], debugDescription: "the array has no more elements"))
        }
        defer { currentIndex += 1 }
        return (items[currentIndex], ScalarReader(path: codingPath + [key]))
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, items[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { let (v, r) = try next(); return try r.bool(v) }
    mutating func decode(_ type: String.Type) throws -> String { let (v, r) = try next(); return try r.string(v) }
    mutating func decode(_ type: Double.Type) throws -> Double { let (v, r) = try next(); return try r.double(v) }
    mutating func decode(_ type: Float.Type) throws -> Float { let (v, r) = try next(); return Float(try r.double(v)) }
    mutating func decode(_ type: Int.Type) throws -> Int { let (v, r) = try next(); return try r.integer(v, type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { let (v, r) = try next(); return try r.integer(v, type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { let (v, r) = try next(); return try r.integer(v, type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { let (v, r) = try next(); return try r.integer(v, type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { let (v, r) = try next(); return try r.integer(v, type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { let (v, r) = try next(); return try r.integer(v, type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { let (v, r) = try next(); return try r.integer(v, type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { let (v, r) = try next(); return try r.integer(v, type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { let (v, r) = try next(); return try r.integer(v, type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { let (v, r) = try next(); return try r.integer(v, type) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { let (v, r) = try next(); return try r.decode(v, type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let (value, reader) = try next()
        return try ValueDecoder(value: value, codingPath: reader.path).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (value, reader) = try next()
        return try ValueDecoder(value: value, codingPath: reader.path).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (value, reader) = try next()
        return ValueDecoder(value: value, codingPath: reader.path)
    }
}

/// One value. Shared with the text decoder: there `value` is the scalar (or an empty
/// array or object standing for a container), and `text` is where the value is, so that
/// a nested `Decodable` is read from the text.
struct SingleValueContainer: SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]
    let text: (bytes: UnsafeBufferPointer<UInt8>, offset: Int)?
    private var reader: ScalarReader { ScalarReader(path: codingPath) }

    init(value: JSONValue, codingPath: [any CodingKey], text: (bytes: UnsafeBufferPointer<UInt8>, offset: Int)? = nil) {
        self.value = value
        self.codingPath = codingPath
        self.text = text
    }

    func decodeNil() -> Bool { value == .null }
    func decode(_ type: Bool.Type) throws -> Bool { try reader.bool(value) }
    func decode(_ type: String.Type) throws -> String { try reader.string(value) }
    func decode(_ type: Double.Type) throws -> Double { try reader.double(value) }
    func decode(_ type: Float.Type) throws -> Float { Float(try reader.double(value)) }
    func decode(_ type: Int.Type) throws -> Int { try reader.integer(value, type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try reader.integer(value, type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try reader.integer(value, type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try reader.integer(value, type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try reader.integer(value, type) }
    func decode(_ type: UInt.Type) throws -> UInt { try reader.integer(value, type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try reader.integer(value, type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try reader.integer(value, type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try reader.integer(value, type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try reader.integer(value, type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        guard let text else { return try reader.decode(value, type) }
        return try T(from: TextDecoder(bytes: text.bytes, offset: text.offset, codingPath: codingPath))
    }
}
