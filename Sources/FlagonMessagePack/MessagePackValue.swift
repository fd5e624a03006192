/// A MessagePack value: what ``MessagePackReader`` reads and ``MessagePackWriter`` writes.
///
/// Integers are one case whatever their wire width (the writer picks the smallest format,
/// as notepack.io does); only values above `Int64.max` are ``uint(_:)``.
///
/// ```swift
/// let value: MessagePackValue = ["uid", ["type": 2, "nsp": "/"], .binary([1, 2])]
/// let bytes = MessagePackWriter.encode(value)
/// ```
public enum MessagePackValue: Sendable, Hashable {
    case `nil`
    case bool(Bool)
    /// Any integer that fits `Int64`.
    case int(Int64)
    /// An unsigned integer above `Int64.max`.
    case uint(UInt64)
    /// A 32-bit float (written as float 32).
    case float(Float)
    /// A 64-bit float (written as float 64, as notepack.io writes every non-integer number).
    case double(Double)
    case string(String)
    /// Raw bytes (`bin`): Node's Buffers.
    case binary([UInt8])
    case array([MessagePackValue])
    /// A map, its entries in wire order.
    case map(MessagePackMap)
    /// An extension: a type code and its bytes (`-1` is the timestamp).
    case `extension`(type: Int8, data: [UInt8])

    /// The string, if this is one.
    public var stringValue: String? { if case .string(let value) = self { value } else { nil } }
    /// The integer, if this is one that fits `Int`.
    public var intValue: Int? {
        switch self {
        case .int(let value): Int(exactly: value)
        case .uint(let value): Int(exactly: value)
        default: nil
        }
    }
    /// The array, if this is one.
    public var arrayValue: [MessagePackValue]? { if case .array(let value) = self { value } else { nil } }
    /// The map, if this is one.
    public var mapValue: MessagePackMap? { if case .map(let value) = self { value } else { nil } }
    /// The bytes, if this is binary.
    public var binaryValue: [UInt8]? { if case .binary(let value) = self { value } else { nil } }
    /// `true` for nil.
    public var isNil: Bool { self == .nil }

    /// The value of `key` in a map with string keys.
    public subscript(key: String) -> MessagePackValue? { mapValue?[key] }
}

/// The entries of a MessagePack map, in order (keys may be any value; Socket.IO's are strings).
public struct MessagePackMap: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    /// One key and its value.
    public struct Entry: Sendable, Hashable {
        public var key: MessagePackValue
        public var value: MessagePackValue

        public init(key: MessagePackValue, value: MessagePackValue) {
            self.key = key
            self.value = value
        }
    }

    /// The entries, in order.
    public var entries: [Entry]

    /// A map of these entries.
    public init(_ entries: [Entry] = []) { self.entries = entries }

    public init(dictionaryLiteral elements: (String, MessagePackValue)...) {
        entries = elements.map { Entry(key: .string($0.0), value: $0.1) }
    }

    /// The number of entries.
    public var count: Int { entries.count }

    /// The value of the first entry whose key is the string `key`; setting replaces it or appends.
    public subscript(key: String) -> MessagePackValue? {
        get { entries.first { $0.key == .string(key) }?.value }
        set {
            if let index = entries.firstIndex(where: { $0.key == .string(key) }) {
                if let newValue { entries[index].value = newValue } else { entries.remove(at: index) }
            } else if let newValue {
                entries.append(Entry(key: .string(key), value: newValue))
            }
        }
    }
}

extension MessagePackValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .nil }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: MessagePackValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, MessagePackValue)...) {
        self = .map(MessagePackMap(elements.map { MessagePackMap.Entry(key: .string($0.0), value: $0.1) }))
    }
}
