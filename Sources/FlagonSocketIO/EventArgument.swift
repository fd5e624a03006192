import FlagonJSON
import Foundation

/// A type an `on_<event>` method may take as a parameter: decoded from one JSON argument
/// of the event. Int, Double, Bool, String, UInt8, arrays, `[String: T]` dictionaries,
/// optionals (missing or `null`), ``JSONValue`` and ``JSONObject`` (raw escape hatches),
/// `[UInt8]` (a binary attachment) and any `Decodable` type that declares conformance.
///
/// ```swift
/// struct Move: Decodable, EventArgument { let x: Int; let y: Int }
/// func on_move(_ move: Move, _ note: String?) -> Bool { ... }
/// ```
public protocol EventArgument: Sendable {
    /// Decodes the argument.
    static func decode(from value: JSONValue) throws(EventArgumentError) -> Self
    /// `true` for optionals: the argument may be missing.
    static var isOptional: Bool { get }
    /// A name for error messages.
    static var argumentTypeName: String { get }
}

/// Why the arguments of an event do not fit the method.
public struct EventArgumentError: Error, Sendable, Equatable {
    /// What is wrong, for the client.
    public var message: String

    /// Creates an error.
    public init(_ message: String) { self.message = message }
}

extension EventArgument {
    public static var isOptional: Bool { false }
    public static var argumentTypeName: String { String(describing: Self.self) }

    /// Decodes argument `index` of `arguments`.
    static func argument(_ arguments: [JSONValue], _ index: Int) throws(EventArgumentError) -> Self {
        guard index < arguments.count else {
            if isOptional { return try decode(from: .null) }
            throw EventArgumentError("missing argument \(index + 1) (\(argumentTypeName))")
        }
        do {
            return try decode(from: arguments[index])
        } catch {
            throw EventArgumentError("argument \(index + 1): \(error.message)")
        }
    }
}

extension EventArgument where Self: Decodable {
    public static func decode(from value: JSONValue) throws(EventArgumentError) -> Self {
        do {
            return try JSONDecoder().decode(Self.self, from: Data(value.jsonString.utf8))
        } catch {
            throw EventArgumentError("expected \(argumentTypeName): \(error)")
        }
    }
}

private func mismatch(_ expected: String, _ value: JSONValue) -> EventArgumentError {
    let found: String
    switch value {
    case .null: found = "null"
    case .bool: found = "a boolean"
    case .int, .double, .largeNumber: found = "a number"
    case .string: found = "a string"
    case .array: found = "an array"
    case .object: found = "an object"
    case .binary: found = "binary data"
    }
    return EventArgumentError("expected \(expected), got \(found)")
}

extension Int: EventArgument {
    public static func decode(from value: JSONValue) throws(EventArgumentError) -> Int {
        guard let int = value.intValue else { throw mismatch("an integer", value) }
        return int
    }
}

extension UInt8: EventArgument {
    public static func decode(from value: JSONValue) throws(EventArgumentError) -> UInt8 {
        guard let int = value.intValue, let byte = UInt8(exactly: int) else { throw mismatch("a byte", value) }
        return byte
    }
}

extension Double: EventArgument {
    public static func decode(from value: JSONValue) throws(EventArgumentError) -> Double {
        guard let double = value.doubleValue else { throw mismatch("a number", value) }
        return double
    }
}

extension Bool: EventArgument {
    public static func decode(from value: JSONValue) throws(EventArgumentError) -> Bool {
        guard let bool = value.boolValue else { throw mismatch("a boolean", value) }
        return bool
    }
}

extension String: EventArgument {
    public static func decode(from value: JSONValue) throws(EventArgumentError) -> String {
        guard let string = value.stringValue else { throw mismatch("a string", value) }
        return string
    }
}

extension JSONValue: EventArgument {
    public static func decode(from value: JSONValue) throws(EventArgumentError) -> JSONValue { value }
}

extension JSONObject: EventArgument {
    public static func decode(from value: JSONValue) throws(EventArgumentError) -> JSONObject {
        guard let object = value.objectValue else { throw mismatch("an object", value) }
        return object
    }
}

extension Optional: EventArgument where Wrapped: EventArgument {
    public static var isOptional: Bool { true }
    public static var argumentTypeName: String { Wrapped.argumentTypeName + "?" }
    public static func decode(from value: JSONValue) throws(EventArgumentError) -> Wrapped? {
        if value.isNull { return nil }
        return try Wrapped.decode(from: value)
    }
}

extension Array: EventArgument where Element: EventArgument {
    public static func decode(from value: JSONValue) throws(EventArgumentError) -> [Element] {
        if Element.self == UInt8.self, case .binary(let bytes) = value { return bytes as! [Element] }
        guard let items = value.arrayValue else { throw mismatch(Element.self == UInt8.self ? "binary data" : "an array", value) }
        var out: [Element] = []
        out.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            do {
                out.append(try Element.decode(from: item))
            } catch {
                throw EventArgumentError("element \(index): \(error.message)")
            }
        }
        return out
    }
}

extension Dictionary: EventArgument where Key == String, Value: EventArgument {
    public static func decode(from value: JSONValue) throws(EventArgumentError) -> [String: Value] {
        guard let object = value.objectValue else { throw mismatch("an object", value) }
        var out: [String: Value] = [:]
        for member in object {
            do {
                out[member.key] = try Value.decode(from: member.value)
            } catch {
                throw EventArgumentError("key \(member.key): \(error.message)")
            }
        }
        return out
    }
}

/// Several ack arguments at once (a method's return value is otherwise one argument).
///
/// ```swift
/// func on_divide(_ a: Int, _ b: Int) -> AckArguments { AckArguments(.int(a / b), .int(a % b)) }
/// ```
public struct AckArguments: Sendable, Equatable {
    /// The arguments.
    public var values: [JSONValue]

    /// Creates the arguments.
    public init(_ values: JSONValue...) { self.values = values }

    /// Creates the arguments from an array.
    public init(values: [JSONValue]) { self.values = values }
}

/// Converts what an `on_<event>` method returned into ack arguments: nothing for `Void`,
/// several for ``AckArguments``, otherwise one JSON value (Encodable values are encoded).
enum AckConversion {
    static func arguments<R>(_ result: R) -> [JSONValue] {
        if R.self == Void.self { return [] }
        switch result {
        case let value as AckArguments: return value.values
        case let value as JSONValue: return [value]
        case let value as JSONObject: return [.object(value)]
        case let value as String: return [.string(value)]
        case let value as Int: return [.int(value)]
        case let value as Double: return [.double(value)]
        case let value as Bool: return [.bool(value)]
        case let value as [UInt8]: return [.binary(value)]
        case let value as [JSONValue]: return [.array(value)]
        case let value as any Encodable:
            if let data = try? JSONEncoder().encode(value), let json = try? JSONValue.parse(Array(data)) { return [json] }
            return [.null]
        default:
            if let optional = result as? OptionalProtocol, optional.isNil { return [.null] }
            return [.string(String(describing: result))]
        }
    }
}

private protocol OptionalProtocol {
    var isNil: Bool { get }
}

extension Optional: OptionalProtocol {
    var isNil: Bool { self == nil }
}
