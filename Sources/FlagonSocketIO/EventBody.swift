import FlagonJSON
import FlagonLoop

/// A registered handler, erased to "receiver and raw arguments in, ack arguments out":
/// `Receiver` is the controller class for `on_<event>` methods, ``Socket`` for closures.
@usableFromInline
enum EventBody<Receiver> {
    /// Runs to completion on the loop (no task is created).
    case sync(@LoopActor (Receiver, [JSONValue]) throws -> [JSONValue])
    /// Runs in a task owned by nobody: events of one client may complete out of order.
    case async(@LoopActor (Receiver, [JSONValue]) async throws -> [JSONValue])
}

/// A handler whose only parameter is ``RawArguments``, as it runs when the arguments arrive
/// unparsed: it gets them as text and returns the ack's arguments (text kept as it is).
@usableFromInline
typealias ForwardingBody<Receiver> = @LoopActor (Receiver, RawArguments) throws -> RawArguments

/// The parameter list of a handler: how many arguments it needs and accepts, checked
/// before decoding. Built once at registration.
@usableFromInline
struct ArgumentSignature: Sendable {
    @usableFromInline let parameterCount: Int
    @usableFromInline let required: Int
    @usableFromInline let maximum: Int?

    @usableFromInline
    init<each A: EventArgument>(_ type: repeat (each A).Type) {
        var types: [any EventArgument.Type] = []
        for type in repeat each type { types.append(type) }
        self.parameterCount = types.count
        self.required = (types.lastIndex { !$0.isOptional && !$0.takesRemainingArguments }.map { $0 + 1 }) ?? 0
        self.maximum = types.contains { $0.takesRemainingArguments } ? nil : types.count
    }

    /// `true` for a parameter list of exactly one ``RawArguments``: such a handler may get
    /// the arguments unparsed (``ForwardingBody``).
    @usableFromInline
    static func takesOnlyRawArguments<each A: EventArgument>(_ type: repeat (each A).Type) -> Bool {
        var types: [any EventArgument.Type] = []
        for type in repeat each type { types.append(type) }
        return types.count == 1 && types[0] == RawArguments.self
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
}
