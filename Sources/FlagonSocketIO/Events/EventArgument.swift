import FlagonJSON

/// A type an `on_<event>` method may take as a parameter: decoded from one JSON argument
/// of the event. Int, Double, Bool, String, UInt8, arrays, `[String: T]` dictionaries,
/// optionals (missing or `null`), ``JSONValue`` and ``JSONObject`` (raw escape hatches),
/// `[UInt8]` (a binary attachment) and your own types, in one of two ways:
///
/// - a `Decodable` type that declares `EventArgument`: its `init(from:)` decodes it;
/// - a ``CustomEventArgument``: its one method, `decode(from:)`, decodes it.
///
/// ```swift
/// struct Move: Decodable, EventArgument { let x: Int; let y: Int }
/// func on_move(_ move: Move, _ note: String?) -> Bool { ... }
/// ```
///
/// Either way, that one piece of your code runs on every path: text events (read straight
/// from the client's JSON text, building no ``JSONValue`` tree for `Decodable` types),
/// events with binary attachments, the msgpack parser and the in-process test client. A type
/// that is both `Decodable` and a ``CustomEventArgument`` is decoded by `decode(from:)`
/// everywhere. The two underscored requirements are Flagon's: implement neither.
public protocol EventArgument: Sendable {
    /// Decodes the argument from a value (Flagon's; see ``CustomEventArgument``).
    static func _decodeArgument(from value: JSONValue) throws(EventArgumentError) -> Self
    /// Decodes the argument from checked JSON text, moving `reader` past it (Flagon's).
    static func _readArgument(from reader: inout JSONReader) throws(EventArgumentError) -> Self
    /// `true` for optionals: the argument may be missing.
    static var isOptional: Bool { get }
    /// A name for error messages.
    static var argumentTypeName: String { get }
    /// `true` for a type that takes every remaining argument (``RawArguments``).
    static var takesRemainingArguments: Bool { get }
    /// Decodes the argument at `index`, moving `index` past what it took.
    static func take(from arguments: [JSONValue], at index: inout Int) throws(EventArgumentError) -> Self
    /// Decodes argument `index` from the text at `reader` (before the comma that precedes
    /// it), moving both past what it took.
    static func take(from reader: inout JSONReader, at index: inout Int) throws(EventArgumentError) -> Self
}

/// An argument type that decodes itself from the argument's value with one method, run
/// on every path (text, binary, msgpack, the test client).
///
/// ```swift
/// struct Token: CustomEventArgument {
///     let value: String
///     static func decode(from value: JSONValue) throws(EventArgumentError) -> Token {
///         guard let text = value.stringValue, text.hasPrefix("tok_") else { throw EventArgumentError("expected a token") }
///         return Token(value: text)
///     }
/// }
/// ```
public protocol CustomEventArgument: EventArgument {
    /// Decodes the argument (`.null` when an optional one is missing).
    static func decode(from value: JSONValue) throws(EventArgumentError) -> Self
}

extension CustomEventArgument {
    public static func _decodeArgument(from value: JSONValue) throws(EventArgumentError) -> Self { try decode(from: value) }

    /// Text arguments are parsed into a value first, so that `decode(from:)` is the one
    /// piece of code on every path.
    public static func _readArgument(from reader: inout JSONReader) throws(EventArgumentError) -> Self {
        try decode(from: reader.argumentValue())
    }
}

/// Why the arguments of an event do not fit the method.
public struct EventArgumentError: Error, Sendable, Equatable {
    /// What is wrong, for the client.
    public var message: String

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    /// Text that is not JSON (checked text cannot be: a parser's error, passed on).
    @usableFromInline static func invalidJSON(_ error: JSONError) -> EventArgumentError {
        EventArgumentError("invalid JSON: \(error)")
    }
}

extension EventArgument {
    public static var isOptional: Bool { false }
    public static var argumentTypeName: String { String(describing: Self.self) }
    public static var takesRemainingArguments: Bool { false }

    public static func take(from arguments: [JSONValue], at index: inout Int) throws(EventArgumentError) -> Self {
        defer { index += 1 }
        return try argument(arguments, index)
    }

    public static func _readArgument(from reader: inout JSONReader) throws(EventArgumentError) -> Self {
        try _decodeArgument(from: reader.argumentValue())
    }

    public static func take(from reader: inout JSONReader, at index: inout Int) throws(EventArgumentError) -> Self {
        defer { index += 1 }
        guard reader.nextElement() else {
            if isOptional { return try _decodeArgument(from: .null) }
            throw EventArgumentError("missing argument \(index + 1) (\(argumentTypeName))")
        }
        do {
            return try _readArgument(from: &reader)
        } catch {
            throw EventArgumentError("argument \(index + 1): \(error.message)")
        }
    }

    /// Reads a scalar argument: the scalar given to ``_decodeArgument(from:)``, or (for an
    /// array or an object, skipped) an empty one of that kind, which it refuses by name.
    static func readScalar(from reader: inout JSONReader) throws(EventArgumentError) -> Self {
        try _decodeArgument(from: reader._payloadLeaf())
    }

    /// Decodes argument `index` of `arguments`.
    static func argument(_ arguments: [JSONValue], _ index: Int) throws(EventArgumentError) -> Self {
        guard index < arguments.count else {
            if isOptional { return try _decodeArgument(from: .null) }
            throw EventArgumentError("missing argument \(index + 1) (\(argumentTypeName))")
        }
        do {
            return try _decodeArgument(from: arguments[index])
        } catch {
            throw EventArgumentError("argument \(index + 1): \(error.message)")
        }
    }
}

extension EventArgument where Self: Decodable {
    public static func _decodeArgument(from value: JSONValue) throws(EventArgumentError) -> Self {
        do {
            return try JSONValueDecoder().decode(Self.self, from: value)
        } catch {
            throw failure(error)
        }
    }

    /// Decodes from the text with ``JSONReader/decode(_:)``: no tree is built.
    public static func _readArgument(from reader: inout JSONReader) throws(EventArgumentError) -> Self {
        do {
            return try reader.decode(Self.self)
        } catch {
            throw failure(error)
        }
    }

    private static func failure(_ error: any Error) -> EventArgumentError {
        if let error = error as? DecodingError { return EventArgumentError("expected \(argumentTypeName): \(describe(error))") }
        return EventArgumentError("expected \(argumentTypeName): \(error)")
    }
}

extension JSONReader {
    /// The next argument as a value (checked text cannot fail to parse).
    mutating func argumentValue() throws(EventArgumentError) -> JSONValue {
        do { return try readValue() } catch { throw .invalidJSON(error) }
    }

}

/// A decoding error in a sentence: where, and what was wrong.
private func describe(_ error: DecodingError) -> String {
    func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "" : " at " + keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }
    switch error {
    case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
        return context.debugDescription + path(context.codingPath)
    case .keyNotFound(let key, let context):
        return "missing key \"\(key.stringValue)\"" + path(context.codingPath)
    @unknown default:
        return "\(error)"
    }
}

private func mismatch(_ expected: String, _ value: JSONValue) -> EventArgumentError {
    EventArgumentError("expected \(expected), got \(value.kindName)")
}

extension Int: EventArgument {
    public static func _readArgument(from reader: inout JSONReader) throws(EventArgumentError) -> Int {
        if let int = reader.readInt() { return int }
        return try readScalar(from: &reader)
    }
    public static func _decodeArgument(from value: JSONValue) throws(EventArgumentError) -> Int {
        guard let int = value.intValue else { throw mismatch("an integer", value) }
        return int
    }
}

extension UInt8: EventArgument {
    public static func _readArgument(from reader: inout JSONReader) throws(EventArgumentError) -> UInt8 { try readScalar(from: &reader) }
    public static func _decodeArgument(from value: JSONValue) throws(EventArgumentError) -> UInt8 {
        guard let int = value.intValue, let byte = UInt8(exactly: int) else { throw mismatch("a byte", value) }
        return byte
    }
}

extension Double: EventArgument {
    public static func _readArgument(from reader: inout JSONReader) throws(EventArgumentError) -> Double { try readScalar(from: &reader) }
    public static func _decodeArgument(from value: JSONValue) throws(EventArgumentError) -> Double {
        guard let double = value.doubleValue else { throw mismatch("a number", value) }
        return double
    }
}

extension Bool: EventArgument {
    public static func _readArgument(from reader: inout JSONReader) throws(EventArgumentError) -> Bool { try readScalar(from: &reader) }
    public static func _decodeArgument(from value: JSONValue) throws(EventArgumentError) -> Bool {
        guard let bool = value.boolValue else { throw mismatch("a boolean", value) }
        return bool
    }
}

extension String: EventArgument {
    public static func _readArgument(from reader: inout JSONReader) throws(EventArgumentError) -> String {
        do {
            if let string = try reader.readString() { return string }
        } catch {
            throw .invalidJSON(error)
        }
        return try readScalar(from: &reader)
    }
    public static func _decodeArgument(from value: JSONValue) throws(EventArgumentError) -> String {
        guard let string = value.stringValue else { throw mismatch("a string", value) }
        return string
    }
}

extension JSONValue: EventArgument {
    public static func _decodeArgument(from value: JSONValue) throws(EventArgumentError) -> JSONValue { value }
    public static func _readArgument(from reader: inout JSONReader) throws(EventArgumentError) -> JSONValue { try reader.argumentValue() }
}

extension JSONObject: EventArgument {
    public static func _readArgument(from reader: inout JSONReader) throws(EventArgumentError) -> JSONObject {
        try _decodeArgument(from: reader.argumentValue())
    }
    public static func _decodeArgument(from value: JSONValue) throws(EventArgumentError) -> JSONObject {
        guard let object = value.objectValue else { throw mismatch("an object", value) }
        return object
    }
}

extension Optional: EventArgument where Wrapped: EventArgument {
    public static var isOptional: Bool { true }
    public static var argumentTypeName: String { Wrapped.argumentTypeName + "?" }
    public static func _decodeArgument(from value: JSONValue) throws(EventArgumentError) -> Wrapped? {
        if value.isNull { return nil }
        return try Wrapped._decodeArgument(from: value)
    }
    public static func _readArgument(from reader: inout JSONReader) throws(EventArgumentError) -> Wrapped? {
        if reader.kind() == .null {
            _ = try reader.argumentValue()
            return nil
        }
        return try Wrapped._readArgument(from: &reader)
    }
}

extension Array: EventArgument where Element: EventArgument {
    public static func _decodeArgument(from value: JSONValue) throws(EventArgumentError) -> [Element] {
        if Element.self == UInt8.self, case .binary(let bytes) = value { return bytes as! [Element] }
        guard let items = value.arrayValue else { throw mismatch(Element.self == UInt8.self ? "binary data" : "an array", value) }
        var out: [Element] = []
        out.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            do {
                out.append(try Element._decodeArgument(from: item))
            } catch {
                throw EventArgumentError("element \(index): \(error.message)")
            }
        }
        return out
    }

    public static func _readArgument(from reader: inout JSONReader) throws(EventArgumentError) -> [Element] {
        guard reader.kind() == .array else { return try _decodeArgument(from: reader._payloadLeaf()) }
        var out: [Element] = []
        do { try reader.enterArray() } catch { throw .invalidJSON(error) }
        while reader.nextElement() {
            do {
                out.append(try Element._readArgument(from: &reader))
            } catch {
                throw EventArgumentError("element \(out.count): \(error.message)")
            }
        }
        return out
    }
}

extension Dictionary: EventArgument where Key == String, Value: EventArgument {
    public static func _decodeArgument(from value: JSONValue) throws(EventArgumentError) -> [String: Value] {
        guard let object = value.objectValue else { throw mismatch("an object", value) }
        var out: [String: Value] = [:]
        for member in object {
            do {
                out[member.key] = try Value._decodeArgument(from: member.value)
            } catch {
                throw EventArgumentError("key \(member.key): \(error.message)")
            }
        }
        return out
    }

    public static func _readArgument(from reader: inout JSONReader) throws(EventArgumentError) -> [String: Value] {
        guard reader.kind() == .object else { return try _decodeArgument(from: reader._payloadLeaf()) }
        var out: [String: Value] = [:]
        do {
            try reader.enterObject()
            while let key = try reader.nextKey() {
                do {
                    out[key] = try Value._readArgument(from: &reader)
                } catch {
                    throw EventArgumentError("key \(key): \(error.message)")
                }
            }
        } catch let error as EventArgumentError {
            throw error
        } catch {
            throw EventArgumentError("invalid JSON: \(error)")
        }
        return out
    }
}
