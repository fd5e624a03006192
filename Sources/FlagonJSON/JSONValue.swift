/// A JSON value, parsed once and kept compact. Object keys keep the order in which they
/// were received; integers stay integers; integers too large for `Int`, and numbers too
/// large for `Double`, keep their exact text.
///
/// ```swift
/// let value = try JSONValue.parse(#"{"n":1,"s":"hello world"}"#)
/// value["n"]?.intValue      // 1
/// value.jsonString          // {"n":1,"s":"hello world"}
/// let built: JSONValue = ["ok": true, "items": [1, 2.5, "three", nil]]
/// ```
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    /// A number kept as its exact JSON text because no Swift number holds it exactly.
    case largeNumber(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
    /// Raw bytes. Not JSON: Socket.IO sends them as binary attachments; the JSON
    /// serializer refuses them unless it is told how to write placeholders.
    case binary([UInt8])
}

extension JSONValue {
    /// The string, if this is one.
    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    /// The integer, if this is an integer (or a double with an integral value that fits).
    public var intValue: Int? {
        switch self {
        case .int(let i): i
        case .double(let d) where d.rounded() == d && abs(d) < 9.2e18: Int(d)
        default: nil
        }
    }
    /// The number as a `Double`, if this is a number.
    public var doubleValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        case .largeNumber(let text): Double(text)
        default: nil
        }
    }
    /// The boolean, if this is one.
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    /// The object, if this is one.
    public var objectValue: JSONObject? { if case .object(let o) = self { o } else { nil } }
    /// The bytes, if this is binary.
    public var binaryValue: [UInt8]? { if case .binary(let b) = self { b } else { nil } }
    /// `true` for `null`.
    public var isNull: Bool { self == .null }

    /// The member `key` of an object; `nil` otherwise.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { object[key] } else { nil }
    }

    /// The element at `index` of an array; `nil` otherwise or out of range.
    public subscript(index: Int) -> JSONValue? {
        if case .array(let array) = self, array.indices.contains(index) { array[index] } else { nil }
    }

    /// `true` when binary data appears anywhere inside.
    public var containsBinary: Bool {
        switch self {
        case .binary: true
        case .array(let items): items.contains { $0.containsBinary }
        case .object(let object): object.contains { $0.value.containsBinary }
        default: false
        }
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements.map { (key: $0.0, value: $0.1) }))
    }
}

extension JSONValue {
    /// An object value.
    ///
    /// ```swift
    /// JSONValue(["ok": true])
    /// ```
    public init(_ object: JSONObject) { self = .object(object) }

    /// An array value.
    public init(_ array: [JSONValue]) { self = .array(array) }
}
