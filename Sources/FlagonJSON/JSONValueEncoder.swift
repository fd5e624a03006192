/// Encodes `Encodable` values straight into a ``JSONValue`` (no text, no Foundation).
///
/// ```swift
/// struct Score: Encodable { let name: String; let points: Int }
/// let value = try JSONValueEncoder().encode(Score(name: "ada", points: 3))   // {"name":"ada","points":3}
/// ```
///
/// Object keys keep the order in which the type encodes them; `[UInt8]` becomes a binary
/// value; `nil` optionals are left out of objects (as JavaScript's `JSON.stringify` does
/// with `undefined`); non-finite doubles are an error.
public struct JSONValueEncoder: Sendable {
    /// Creates an encoder.
    public init() {}

    /// Encodes `value`.
    public func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        if T.self == [UInt8].self, let bytes = value as? [UInt8] { return .binary(bytes) }   // not `as?` alone: an empty array of anything passes it
        let node = EncodingNode()
        try value.encode(to: ValueEncoder(node: node, codingPath: []))
        return node.value
    }
}

/// One value being built; containers hold their children by reference so that nested
/// containers can be filled after they are handed out.
private final class EncodingNode {
    enum Content {
        case empty
        case scalar(JSONValue)
        case object([(String, EncodingNode)])
        case array([EncodingNode])
    }

    var content = Content.empty

    var value: JSONValue {
        switch content {
        case .empty: return .object(JSONObject())
        case .scalar(let value): return value
        case .array(let items): return .array(items.map(\.value))
        case .object(let members):
            return .object(JSONObject(members.map { (key: $0.0, value: $0.1.value) }))
        }
    }

    func child(forKey key: String) -> EncodingNode {
        let node = EncodingNode()
        var members: [(String, EncodingNode)] = []
        if case .object(let existing) = content {
            members = existing
            content = .empty   // the array has one owner again: appending does not copy it
        }
        if let index = members.firstIndex(where: { $0.0 == key }) {
            members[index].1 = node
        } else {
            members.append((key, node))
        }
        content = .object(members)
        return node
    }

    func appendChild() -> EncodingNode {
        let node = EncodingNode()
        var items: [EncodingNode] = []
        if case .array(let existing) = content {
            items = existing
            content = .empty   // the array has one owner again: appending does not copy it
        }
        items.append(node)
        content = .array(items)
        return node
    }

    func makeObject() {
        if case .object = content { return }
        content = .object([])
    }

    func makeArray() {
        if case .array = content { return }
        content = .array([])
    }
}

private func scalar<T: Encodable>(_ value: T, _ path: [any CodingKey]) throws -> JSONValue? {
    switch value {
    case let value as Bool: return .bool(value)
    case let value as String: return .string(value)
    case let value as Int: return .int(value)
    case let value as Double:
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, EncodingError.Context(codingPath: path, debugDescription: "\(value) is not a JSON number"))
        }
        return .double(value)
    case let value as Float: return try scalar(Double(value), path)
    case let value as any BinaryInteger: return integer(value)
    case let value as [UInt8] where T.self == [UInt8].self: return .binary(value)   // an empty [String] passes `as [UInt8]` too
    case let value as JSONValue: return value
    case let value as JSONObject: return .object(value)
    default: return nil
    }
}

private func integer<T: BinaryInteger>(_ value: T) -> JSONValue {
    if let int = Int(exactly: value) { return .int(int) }
    return .largeNumber(String(value))
}

private func encodeValue<T: Encodable>(_ value: T, into node: EncodingNode, path: [any CodingKey]) throws {
    if let scalar = try scalar(value, path) {
        node.content = .scalar(scalar)
        return
    }
    try value.encode(to: ValueEncoder(node: node, codingPath: path))
}

private struct ValueEncoder: Encoder {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.makeObject()
        return KeyedEncodingContainer(KeyedContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.makeArray()
        return UnkeyedContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleContainer(node: node, codingPath: codingPath)
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { node.child(forKey: key.stringValue).content = .scalar(.null) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try encodeValue(value, into: node.child(forKey: key.stringValue), path: codingPath + [key])
    }
    mutating func encode(_ value: Int64, forKey key: Key) throws { node.child(forKey: key.stringValue).content = .scalar(integer(value)) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { node.child(forKey: key.stringValue).content = .scalar(integer(value)) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { node.child(forKey: key.stringValue).content = .scalar(integer(value)) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        ValueEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        ValueEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        ValueEncoder(node: node.child(forKey: "super"), codingPath: codingPath + [DynamicCodingKey(stringValue: "super")])
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        ValueEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key])
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    var count: Int { if case .array(let items) = node.content { items.count } else { 0 } }

    private var nextPath: [any CodingKey] { codingPath + [DynamicCodingKey(intValue: count)] }

    mutating func encodeNil() throws { node.appendChild().content = .scalar(.null) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        let path = nextPath
        try encodeValue(value, into: node.appendChild(), path: path)
    }
    mutating func encode(_ value: Int64) throws { node.appendChild().content = .scalar(integer(value)) }
    mutating func encode(_ value: UInt64) throws { node.appendChild().content = .scalar(integer(value)) }
    mutating func encode(_ value: UInt) throws { node.appendChild().content = .scalar(integer(value)) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let path = nextPath
        return ValueEncoder(node: node.appendChild(), codingPath: path).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let path = nextPath
        return ValueEncoder(node: node.appendChild(), codingPath: path).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let path = nextPath
        return ValueEncoder(node: node.appendChild(), codingPath: path)
    }
}

private struct SingleContainer: SingleValueEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.content = .scalar(.null) }
    mutating func encode<T: Encodable>(_ value: T) throws { try encodeValue(value, into: node, path: codingPath) }
    mutating func encode(_ value: Int64) throws { node.content = .scalar(integer(value)) }
    mutating func encode(_ value: UInt64) throws { node.content = .scalar(integer(value)) }
    mutating func encode(_ value: UInt) throws { node.content = .scalar(integer(value)) }
}
