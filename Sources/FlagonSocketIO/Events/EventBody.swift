import FlagonJSON
import FlagonLoop

/// A registered handler, erased to "receiver and arguments in, ack arguments out":
/// `Receiver` is the controller class for `on_<event>` methods, ``Socket`` for closures.
/// The arguments are the client's JSON text when the event came as text (typed
/// parameters are read from it, a ``RawArguments`` parameter takes it as it is), values
/// otherwise. It answers with the ack's arguments, or `nil` when it sent the ack itself (a
/// value that measured its text, written into the frame: ``AckConvertible/ackArguments(to:ackID:)``);
/// the socket and ack id are passed for that.
@usableFromInline
enum EventBody<Receiver> {
    /// Runs to completion on the loop (no task is created).
    case sync(@LoopActor (Receiver, RawArguments, Socket, Int?) throws -> RawArguments?)
    /// Runs in a task owned by nobody: events of one client may complete out of order.
    case async(@LoopActor (Receiver, RawArguments, Socket, Int?) async throws -> RawArguments?)
}

/// The parameter list of a handler: how many arguments it needs and accepts, checked
/// before decoding. Built once at registration.
@usableFromInline
struct ArgumentSignature: Sendable {
    @usableFromInline let parameterCount: Int
    @usableFromInline let required: Int
    @usableFromInline let maximum: Int?
    /// Exactly one ``RawArguments`` parameter: it gets the arguments as they came.
    @usableFromInline let takesOnlyRawArguments: Bool

    @usableFromInline
    init<each A: EventArgument>(_ type: repeat (each A).Type) {
        var types: [any EventArgument.Type] = []
        for type in repeat each type { types.append(type) }
        self.parameterCount = types.count
        self.required = (types.lastIndex { !$0.isOptional && !$0.takesRemainingArguments }.map { $0 + 1 }) ?? 0
        self.maximum = types.contains { $0.takesRemainingArguments } ? nil : types.count
        self.takesOnlyRawArguments = types.count == 1 && types[0] == RawArguments.self
    }

    /// Throws when `count` arguments cannot fill the parameters.
    @inlinable
    func check(_ count: Int) throws(EventArgumentError) {
        if count >= required, maximum.map({ count <= $0 }) ?? true { return }
        throw mismatch(count)
    }

    @usableFromInline
    func mismatch(_ count: Int) -> EventArgumentError {
        let expected = switch maximum {
        case nil: "at least \(required)"
        case let maximum? where maximum == required: "\(required)"
        case let maximum?: "\(required) to \(maximum)"
        }
        return EventArgumentError("expected \(expected) argument\(parameterCount == 1 ? "" : "s"), got \(count)")
    }

    /// Decodes `arguments` into the parameters' types.
    @inlinable
    func decode<each A: EventArgument>(_ arguments: [JSONValue], as type: repeat (each A).Type) throws -> (repeat each A) {
        try check(arguments.count)
        var index = 0
        return (repeat try (each A).take(from: arguments, at: &index))
    }

    /// Decodes the arguments into the parameters' types: from the text when they came as
    /// text (no tree is built), else from the values. A count that does not fit is
    /// reported as the values path reports it, before any argument's own error.
    @inlinable
    func decode<each A: EventArgument>(_ raw: RawArguments, as type: repeat (each A).Type) throws -> (repeat each A) {
        // Sound: the one parameter is `RawArguments` (checked when the signature was built).
        // A bit cast, since `as!` on a pack stays a run-time cast even when specialized: echo
        // costs 2.7 % more instructions per ack with `as!` (docs/hot-path.md).
        if takesOnlyRawArguments { return (repeat unsafeBitCast(raw, to: (each A).self)) }
        guard let text = raw.encodedText else { return try decode(raw.values, as: repeat (each A).self) }
        return try text.withUnsafeBufferPointer { bytes in
            var reader = JSONReader(validated: bytes)
            var index = 0
            do {
                let values = (repeat try (each A).take(from: &reader, at: &index))
                if maximum != nil && reader.nextElement() { try check(Self.count(bytes)) }
                return values
            } catch {
                try check(Self.count(bytes))
                throw error
            }
        }
    }

    /// How many values the checked text holds.
    @usableFromInline
    static func count(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var reader = JSONReader(validated: bytes)
        var count = 0
        while reader.nextElement() {
            guard (try? reader.skipValue()) != nil else { break }
            count += 1
        }
        return count
    }
}
