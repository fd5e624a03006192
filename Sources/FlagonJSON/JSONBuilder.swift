/// What the parser's one grammar (``JSONParser/value(_:)``) makes of what it recognises: a
/// ``JSONValue`` (``JSONValueBuilder``), or nothing at all when the text is only checked
/// (``JSONSkipper``). Both are specialised at compile time: checking allocates nothing, and
/// building pays nothing for the indirection.
protocol JSONBuilder {
    associatedtype Value
    associatedtype Key
    associatedtype Array
    associatedtype Object

    /// The string at the parser's index (its opening quote), read past its closing quote.
    static func string(_ parser: inout JSONParser) throws(JSONError) -> Value
    /// An object's key at the parser's index (its opening quote), read past its closing quote.
    static func key(_ parser: inout JSONParser) throws(JSONError) -> Key
    /// The number at the parser's index, read past its last digit.
    static func number(_ parser: inout JSONParser) throws(JSONError) -> Value
    static func bool(_ value: Bool) -> Value
    static var null: Value { get }
    static func newArray() -> Array
    static func append(_ value: Value, to array: inout Array)
    static func finish(_ array: Array) -> Value
    static func newObject() -> Object
    static func add(_ key: Key, _ value: Value, to object: inout Object)
    static func finish(_ object: Object) -> Value
}

/// Builds ``JSONValue`` trees: objects keep their first order and last values, in time
/// linear in their members (``JSONObject/Builder``).
enum JSONValueBuilder: JSONBuilder {
    static func string(_ parser: inout JSONParser) throws(JSONError) -> JSONValue { .string(try parser.parseString()) }
    static func key(_ parser: inout JSONParser) throws(JSONError) -> String { try parser.parseString() }
    static func number(_ parser: inout JSONParser) throws(JSONError) -> JSONValue { try parser.parseNumber() }
    static func bool(_ value: Bool) -> JSONValue { .bool(value) }
    static var null: JSONValue { .null }

    static func newArray() -> [JSONValue] {
        var items: [JSONValue] = []
        items.reserveCapacity(4)
        return items
    }

    static func append(_ value: JSONValue, to array: inout [JSONValue]) { array.append(value) }
    static func finish(_ array: [JSONValue]) -> JSONValue { .array(array) }
    static func newObject() -> JSONObject.Builder { JSONObject.Builder() }
    static func add(_ key: String, _ value: JSONValue, to object: inout JSONObject.Builder) { object.add(key, value) }
    static func finish(_ object: JSONObject.Builder) -> JSONValue { .object(object.object) }
}

/// Checks text without building anything: strings are scanned (escapes and UTF-8 checked),
/// numbers scanned, containers walked.
enum JSONSkipper: JSONBuilder {
    static func string(_ parser: inout JSONParser) throws(JSONError) { try parser.skipString() }
    static func key(_ parser: inout JSONParser) throws(JSONError) { try parser.skipString() }
    static func number(_ parser: inout JSONParser) throws(JSONError) { _ = try parser.scanNumber() }
    static func bool(_ value: Bool) {}
    static var null: Void { () }
    static func newArray() {}
    static func append(_ value: Void, to array: inout Void) {}
    static func finish(_ array: Void) {}
    static func newObject() {}
    static func add(_ key: Void, _ value: Void, to object: inout Void) {}
}
