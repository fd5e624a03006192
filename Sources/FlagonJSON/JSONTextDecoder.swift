/// `Decodable` types read straight from checked JSON text: the same rules and errors as
/// ``JSONValueDecoder`` (numbers convert when they fit exactly, the same coding paths and
/// messages), without building the value's tree. Objects and arrays are indexed once
/// (where each member's value starts); scalars are read where they are.
///
/// Why two decoders: this one serves text (an event's typed arguments, per message) and
/// builds no tree; ``JSONValueDecoder`` serves values that have no text: MessagePack
/// arguments, binary attachments put back in place (a `.binary` value has no JSON spelling),
/// CONNECT auth already parsed, values built in code. The value decoder built on this one
/// would write each such value out as JSON first (a cost on those paths, and a spelling to
/// invent for binary); this one built on the value decoder would build a tree per event,
/// the cost it exists to avoid. They cannot drift apart unseen: the fuzz target `json`
/// decodes every input through both (`agree`) and fails where they differ.
extension JSONReader {
    /// Decodes the value at the reader as `type` and moves past it.
    ///
    /// ```swift
    /// struct Move: Decodable { let x: Int; let y: Int }
    /// let move = try reader.decode(Move.self)
    /// ```
    public mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        parser.skipWhitespace()
        guard parser.index < parser.bytes.count else {
            throw DecodingError.valueNotFound(T.self, DecodingError.Context(codingPath: [], debugDescription: "no value left to read"))
        }
        let value = try T(from: TextDecoder(bytes: parser.bytes, offset: parser.index, codingPath: []))
        try parser.skipValue()
        return value
    }
}

/// A decoder positioned at one value of the text.
struct TextDecoder: Decoder {
    let bytes: UnsafeBufferPointer<UInt8>
    let offset: Int
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard bytes[offset] == UInt8(ascii: "{") else { throw mismatch(codingPath, "an object", try leaf(bytes, offset)) }
        return KeyedDecodingContainer(TextKeyedContainer<Key>(bytes: bytes, members: try members(bytes, offset), codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard bytes[offset] == UInt8(ascii: "[") else { throw mismatch(codingPath, "an array", try leaf(bytes, offset)) }
        return TextUnkeyedContainer(bytes: bytes, elements: try elements(bytes, offset), codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValueContainer(value: try leaf(bytes, offset), codingPath: codingPath, text: (bytes, offset))
    }
}

/// The value at `offset` when it is a scalar; an empty array or object of the same kind
/// otherwise (``JSONParser/leafValue()``).
private func leaf(_ bytes: UnsafeBufferPointer<UInt8>, _ offset: Int) throws -> JSONValue {
    var parser = JSONParser(bytes: bytes, maxDepth: Int.max)
    parser.index = offset
    return try parser.leafValue()
}

/// Where each member of the object at `offset` has its key and its value.
private struct TextMember {
    let keyStart: Int
    let keyEnd: Int
    let escaped: Bool
    let value: Int
}

private func members(_ bytes: UnsafeBufferPointer<UInt8>, _ offset: Int) throws -> [TextMember] {
    var parser = JSONParser(bytes: bytes, maxDepth: Int.max)
    parser.index = offset + 1
    var found: [TextMember] = []
    while true {
        parser.skipWhitespace()
        guard parser.index < bytes.count else { throw JSONError.unexpectedEnd }
        switch bytes[parser.index] {
        case UInt8(ascii: "}"): return found
        case UInt8(ascii: ","): parser.index += 1; parser.skipWhitespace()
        default: break
        }
        let keyStart = parser.index + 1
        let escaped = !(try parser.scanKey())
        let keyEnd = parser.index - 1
        parser.skipWhitespace()
        parser.index += 1   // the colon
        parser.skipWhitespace()
        found.append(TextMember(keyStart: keyStart, keyEnd: keyEnd, escaped: escaped, value: parser.index))
        try parser.skipValue()
    }
}

/// Where each element of the array at `offset` starts.
private func elements(_ bytes: UnsafeBufferPointer<UInt8>, _ offset: Int) throws -> [Int] {
    var reader = JSONReader(validated: bytes)
    reader.parser.index = offset + 1
    var found: [Int] = []
    while reader.nextElement() {
        found.append(reader.offset)
        try reader.skipValue()
    }
    return found
}

extension JSONParser {
    /// Steps over the checked string at the index; `true` when it holds no escape (its
    /// bytes between the quotes are then its UTF-8).
    mutating func scanKey() throws(JSONError) -> Bool {
        index += 1
        var plain = true
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""): index += 1; return plain
            case UInt8(ascii: "\\"): plain = false; index += 2
            default: index += 1
            }
        }
        throw .unexpectedEnd
    }
}

private struct TextKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let bytes: UnsafeBufferPointer<UInt8>
    let members: [TextMember]
    let codingPath: [any CodingKey]
    /// Where each key's (last) value starts, for an object too large to scan per key (a
    /// `[String: T]` reads every key: scanning would make it quadratic).
    private var positions: [String: Int]?

    init(bytes: UnsafeBufferPointer<UInt8>, members: [TextMember], codingPath: [any CodingKey]) {
        self.bytes = bytes
        self.members = members
        self.codingPath = codingPath
        if members.count > JSONObject.Builder.scanLimit {
            var positions: [String: Int] = [:]
            positions.reserveCapacity(members.count)
            for member in members { positions[name(member)] = member.value }
            self.positions = positions
        }
    }

    private func name(_ member: TextMember) -> String {
        if !member.escaped { return String(decoding: UnsafeBufferPointer(rebasing: bytes[member.keyStart..<member.keyEnd]), as: UTF8.self) }
        var parser = JSONParser(bytes: bytes, maxDepth: Int.max)
        parser.index = member.keyStart - 1
        return (try? parser.parseString()) ?? ""
    }

    /// Where the value of `key` starts: the last member of that name, as a parsed object keeps it.
    private func find(_ key: String) -> Int? {
        if let positions { return positions[key] }
        for member in members.reversed() {
            let matches = member.escaped
                ? name(member) == key
                : key.utf8.elementsEqual(UnsafeBufferPointer(rebasing: bytes[member.keyStart..<member.keyEnd]))
            if matches { return member.value }
        }
        return nil
    }

    var allKeys: [Key] {
        var seen = Set<String>()
        return members.compactMap { member in
            let key = name(member)
            return seen.insert(key).inserted ? Key(stringValue: key) : nil
        }
    }

    func contains(_ key: Key) -> Bool { find(key.stringValue) != nil }

    private func offset(_ key: Key) throws -> Int {
        guard let offset = find(key.stringValue) else {
            throw DecodingError.keyNotFound(
                key, DecodingError.Context(codingPath: codingPath, debugDescription: "missing key \"\(key.stringValue)\""))
        }
        return offset
    }

    /// Converts the scalar of `key`; the coding path is built only for an error.
    private func scalar<T>(_ key: Key, _ convert: (ScalarReader, JSONValue) throws -> T) throws -> T {
        let value = try leaf(bytes, offset(key))
        do {
            return try convert(ScalarReader(path: []), value)
        } catch let DecodingError.typeMismatch(type, context) {
            throw DecodingError.typeMismatch(
                type, DecodingError.Context(codingPath: codingPath + [key], debugDescription: context.debugDescription))
        }
    }

    func decodeNil(forKey key: Key) throws -> Bool { find(key.stringValue).map { bytes[$0] == UInt8(ascii: "n") } ?? true }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try scalar(key) { try $0.bool($1) } }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try scalar(key) { try $0.string($1) } }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try scalar(key) { try $0.double($1) } }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { Float(try scalar(key) { try $0.double($1) }) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try scalar(key) { try $0.integer($1, type) } }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try scalar(key) { try $0.integer($1, type) } }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try scalar(key) { try $0.integer($1, type) } }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try scalar(key) { try $0.integer($1, type) } }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try scalar(key) { try $0.integer($1, type) } }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try scalar(key) { try $0.integer($1, type) } }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try scalar(key) { try $0.integer($1, type) } }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try scalar(key) { try $0.integer($1, type) } }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try scalar(key) { try $0.integer($1, type) } }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try scalar(key) { try $0.integer($1, type) } }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try T(from: TextDecoder(bytes: bytes, offset: offset(key), codingPath: codingPath + [key]))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try TextDecoder(bytes: bytes, offset: offset(key), codingPath: codingPath + [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try TextDecoder(bytes: bytes, offset: offset(key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { decoder(for: DynamicCodingKey(stringValue: "super")) }
    func superDecoder(forKey key: Key) throws -> any Decoder { decoder(for: key) }

    /// A decoder for a member, or for `null` when there is none.
    private func decoder(for key: any CodingKey) -> any Decoder {
        guard let offset = find(key.stringValue) else { return ValueDecoder(value: .null, codingPath: codingPath + [key]) }
        return TextDecoder(bytes: bytes, offset: offset, codingPath: codingPath + [key])
    }
}

private struct TextUnkeyedContainer: UnkeyedDecodingContainer {
    let bytes: UnsafeBufferPointer<UInt8>
    let elements: [Int]
    let codingPath: [any CodingKey]
    var currentIndex = 0

    init(bytes: UnsafeBufferPointer<UInt8>, elements: [Int], codingPath: [any CodingKey]) {
        self.bytes = bytes
        self.elements = elements
        self.codingPath = codingPath
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    /// The coding path of element `index`.
    private func path(_ index: Int) -> [any CodingKey] { codingPath + [DynamicCodingKey(intValue: index)] }

    /// The next element's offset (its coding path is built only when needed).
    private mutating func next() throws -> Int {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                Any.self, DecodingError.Context(codingPath: path(currentIndex), debugDescription: "the array has no more elements"))
        }
        defer { currentIndex += 1 }
        return elements[currentIndex]
    }

    /// Converts the next scalar, giving an error the element's coding path.
    private mutating func convert<T>(_ body: (ScalarReader, JSONValue) throws -> T) throws -> T {
        let value = try leaf(bytes, next())
        do {
            return try body(ScalarReader(path: []), value)
        } catch let DecodingError.typeMismatch(type, context) {
            throw DecodingError.typeMismatch(type, DecodingError.Context(codingPath: path(currentIndex - 1), debugDescription: context.debugDescription))
        }
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, bytes[elements[currentIndex]] == UInt8(ascii: "n") else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try convert { try $0.bool($1) } }
    mutating func decode(_ type: String.Type) throws -> String { try convert { try $0.string($1) } }
    mutating func decode(_ type: Double.Type) throws -> Double { try convert { try $0.double($1) } }
    mutating func decode(_ type: Float.Type) throws -> Float { Float(try convert { try $0.double($1) }) }
    mutating func decode(_ type: Int.Type) throws -> Int { try convert { try $0.integer($1, type) } }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try convert { try $0.integer($1, type) } }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try convert { try $0.integer($1, type) } }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try convert { try $0.integer($1, type) } }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try convert { try $0.integer($1, type) } }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try convert { try $0.integer($1, type) } }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try convert { try $0.integer($1, type) } }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try convert { try $0.integer($1, type) } }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try convert { try $0.integer($1, type) } }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try convert { try $0.integer($1, type) } }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: nextDecoder()) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try nextDecoder().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try nextDecoder().unkeyedContainer() }

    mutating func superDecoder() throws -> any Decoder { try nextDecoder() }

    private mutating func nextDecoder() throws -> TextDecoder {
        let offset = try next()
        return TextDecoder(bytes: bytes, offset: offset, codingPath: path(currentIndex - 1))
    }
}
