import FlagonJSON
import FlagonLoop

/// What a handler may return: it becomes the arguments of the ack. `Void` handlers send an
/// empty ack; every ``JSONConvertible`` type sends one argument; ``AckArguments`` and
/// ``RawArguments`` send several. A type that conforms to neither cannot be returned: the
/// registration does not compile.
///
/// ```swift
/// struct Score: Encodable, JSONConvertible { let points: Int }     // Encodable: declare it
/// func on_score() -> Score { Score(points: 3) }                  // ack: [{"points":3}]
/// ```
public protocol AckConvertible {
    /// The ack's arguments.
    func ackArguments() throws -> [JSONValue]
    /// Appends the ack's arguments as JSON text without the brackets, when the type writes
    /// it directly (Flagon's: ``JSONTextWritable`` types do); `false` otherwise.
    func _writeAckText(into out: inout [UInt8]) -> Bool
    /// The exact length of the ack's text, when the type measures it
    /// (``JSONTextWritable/_jsonTextLength()``); `nil` otherwise.
    func _ackTextLength() -> Int?
    /// Writes the measured text of the ack, exactly ``_ackTextLength()`` bytes; returns its end.
    func _writeAckText(at out: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer
}

extension AckConvertible {
    public func _writeAckText(into out: inout [UInt8]) -> Bool { false }
    public func _ackTextLength() -> Int? { nil }
    /// Not measured: never called.
    public func _writeAckText(at out: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer { out }

    /// The ack's text in an array of its own (``_writeAckText(into:)``), or `nil`.
    public func _ackText() -> [UInt8]? {
        var out: [UInt8] = []
        return _writeAckText(into: &out) ? out : nil
    }
}

/// A value that becomes one JSON value: the JSON types, `Int`, `Double`, `Bool`, `String`,
/// `[UInt8]` (binary), arrays, `[String: T]` dictionaries and optionals of them, and
/// `Encodable` types that declare the conformance.
public protocol JSONConvertible: AckConvertible {
    /// The value as JSON.
    func jsonValue() throws -> JSONValue
}

extension JSONConvertible {
    public func ackArguments() throws -> [JSONValue] { [try jsonValue()] }
}

extension JSONConvertible where Self: Encodable {
    public func jsonValue() throws -> JSONValue { try JSONValueEncoder().encode(self) }
}

extension JSONValue: JSONConvertible {
    public func jsonValue() -> JSONValue { self }
}

extension JSONObject: JSONConvertible {
    public func jsonValue() -> JSONValue { .object(self) }
}

extension String: JSONConvertible {
    public func jsonValue() -> JSONValue { .string(self) }
}

extension Int: JSONConvertible {
    public func jsonValue() -> JSONValue { .int(self) }
}

extension UInt8: JSONConvertible {
    public func jsonValue() -> JSONValue { .int(Int(self)) }
}

extension Double: JSONConvertible {
    public func jsonValue() -> JSONValue { .double(self) }
}

extension Bool: JSONConvertible {
    public func jsonValue() -> JSONValue { .bool(self) }
}

extension Optional: JSONConvertible, AckConvertible where Wrapped: JSONConvertible {
    public func jsonValue() throws -> JSONValue { try self?.jsonValue() ?? .null }
}

extension Array: JSONConvertible, AckConvertible where Element: JSONConvertible {
    /// An array; `[UInt8]` is binary data.
    public func jsonValue() throws -> JSONValue {
        // Checked on the type: an empty array of anything would pass `as? [UInt8]`.
        if Element.self == UInt8.self, let bytes = self as? [UInt8] { return .binary(bytes) }
        return .array(try map { try $0.jsonValue() })
    }
}

extension Dictionary: JSONConvertible, AckConvertible where Key == String, Value: JSONConvertible {
    /// An object, its keys sorted (a dictionary has no order of its own).
    public func jsonValue() throws -> JSONValue {
        .object(JSONObject(try keys.sorted().map { (key: $0, value: try self[$0]!.jsonValue()) }))
    }
}

/// Several ack arguments at once (a returned value is otherwise one argument).
///
/// ```swift
/// func on_divide(_ a: Int, _ b: Int) -> AckArguments { AckArguments(a / b, a % b) }
/// ```
public struct AckArguments: AckConvertible {
    private let items: [any JSONConvertible]

    /// Creates the arguments from values of any JSON-convertible types.
    public init<each T: JSONConvertible>(_ value: repeat each T) {
        var items: [any JSONConvertible] = []
        for item in repeat each value { items.append(item) }
        self.items = items
    }

    /// Creates the arguments from an array.
    public init(values: [JSONValue]) { self.items = values }

    public func ackArguments() throws -> [JSONValue] { try items.map { try $0.jsonValue() } }
}

/// Every remaining argument of an event, as sent; as the last parameter of a handler it
/// accepts any number of arguments, and returned it is the ack's arguments as they are.
///
/// ```swift
/// func on_echo(_ args: RawArguments) -> RawArguments { args }
/// ```
///
/// A handler whose only parameter is a `RawArguments` gets the arguments unparsed: the JSON
/// text the client sent, checked as strictly as a parse would, is parsed only when
/// ``values`` is read, and when returned unchanged it goes back in the ack byte for byte
/// (no JSON tree is built or written for an echo or a relay).
public struct RawArguments: EventArgument, AckConvertible, Sendable, Equatable {
    private enum Storage: Sendable {
        case values([JSONValue])
        /// Validated JSON text of the arguments, without the enclosing brackets.
        case encoded([UInt8])
    }

    private var storage: Storage

    /// The arguments (parsed now, when they arrived as text).
    public var values: [JSONValue] {
        get {
            switch storage {
            case .values(let values): return values
            case .encoded(let text):
                // Validated on arrival: parsing cannot fail (an empty array if it ever did).
                return (try? JSONValue.parse([UInt8(ascii: "[")] + text + [UInt8(ascii: "]")]))?.arrayValue ?? []
            }
        }
        set { storage = .values(newValue) }
    }

    /// Wraps arguments.
    public init(_ values: [JSONValue]) { storage = .values(values) }

    /// Arguments given as the JSON text between an array's brackets, already validated.
    @usableFromInline init(validatedText text: [UInt8]) { storage = .encoded(text) }

    /// The JSON text of the arguments (without brackets) when they are still unparsed.
    @usableFromInline var encodedText: [UInt8]? { if case .encoded(let text) = storage { text } else { nil } }

    public static func == (a: RawArguments, b: RawArguments) -> Bool {
        if let x = a.encodedText, let y = b.encodedText, x == y { return true }
        return a.values == b.values
    }

    public static var takesRemainingArguments: Bool { true }
    public static var argumentTypeName: String { "arguments" }

    public static func _decodeArgument(from value: JSONValue) throws(EventArgumentError) -> RawArguments { RawArguments([value]) }

    public static func take(from arguments: [JSONValue], at index: inout Int) throws(EventArgumentError) -> RawArguments {
        defer { index = arguments.count }
        if index == 0 { return RawArguments(arguments) }   // shares the array's storage
        return RawArguments(index < arguments.count ? Array(arguments[index...]) : [])
    }

    /// The rest of the text, unparsed (a copy of its bytes).
    public static func take(from reader: inout JSONReader, at index: inout Int) throws(EventArgumentError) -> RawArguments {
        index += 1
        guard reader.nextElement() else { return RawArguments([]) }
        return RawArguments(validatedText: reader.remainingText())
    }

    public func ackArguments() -> [JSONValue] { values }
}

extension AckConvertible {
    /// The ack's arguments for a handler's return value, or `nil` when the ack is sent here
    /// already (or none was asked for): returned ``RawArguments`` stay as they are (their text
    /// goes back unchanged); a value that measures its text is written straight into the
    /// ack's frame; other text is written into one buffer that every ack reuses
    /// (``ackTextScratch``); the rest becomes values.
    // Inlinable, so that the casts fold away in a specialized handler.
    @inlinable @LoopActor
    func ackArguments(to socket: Socket, ackID: Int?) throws -> RawArguments? {
        if let raw = self as? RawArguments { return raw }
        guard let ackID else { return nil }
        if let length = _ackTextLength() {
            socket.sendAck(ackID, textLength: length) { _writeAckText(at: $0) }
            return nil
        }
        let scratch = ackTextScratch
        if scratch.value.capacity > 65_536 { scratch.value = [] } else { scratch.value.removeAll(keepingCapacity: true) }
        if _writeAckText(into: &scratch.value) { return RawArguments(validatedText: scratch.value) }
        return RawArguments(try ackArguments())
    }
}

/// The buffer an ack's text is written into before it is framed, reused from ack to ack:
/// the ack holds the array only until it is copied into the frame (one more reference,
/// dropped after the send), so the next ack finds it unique and writes over it without an
/// allocation; an ack kept longer (a socket that is not writable now) keeps its own copy,
/// as copy-on-write makes it. A buffer grown past 64 KB is let go. Sound as a cell: no
/// code that runs while a value writes its text can start another ack's text.
@usableFromInline @LoopActor
let ackTextScratch = LoopConfinedCell.holding([UInt8]())
