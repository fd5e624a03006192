import FlagonJSON
import FlagonLoop

/// The registration table of a controller class: event names mapped to its `on_<event>`
/// methods. Each entry decodes the event's arguments into the method's parameter types
/// (``EventArgument``), checks their count (trailing optionals may be left out; a last
/// ``RawArguments`` takes any number), calls the method (sync or async, throwing or not,
/// any number of parameters) and turns its result into the ack (``AckConvertible``).
///
/// This is what the `@SocketNamespace` macro (module FlagonMacros) writes for you; write
/// it by hand if you prefer:
///
/// ```swift
/// final class Game: NamespaceController {
///     static let events = EventTable<Game> { table in
///         table.on("move", Game.on_move)
///         table.on("chat", Game.on_chat)
///     }
///     func on_move(_ x: Int, _ y: Int) -> Bool { true }
///     func on_chat(_ text: String) async throws -> JSONValue { ["ok": true] }
/// }
/// ```
@LoopActor
public struct EventTable<Controller: NamespaceControllerBase> {
    @usableFromInline var entries: [String: EventBody<Controller>] = [:]
    private(set) var rateLimits: [String: RateLimit] = [:]

    /// Builds a table.
    public init(_ build: (inout EventTable) -> Void) {
        build(&self)
    }

    /// The events registered.
    public var events: Set<String> { Set(entries.keys) }

    /// Limits how often one socket may send `event` (on top of the namespace's limit).
    ///
    /// ```swift
    /// table.on("say", Chat.on_say)
    /// table.limit("say", RateLimit(perSecond: 2, burst: 5))
    /// ```
    public mutating func limit(_ event: String, _ limit: RateLimit) {
        rateLimits[event] = limit
    }

    /// Registers a method whose result is the ack.
    @inlinable
    public mutating func on<each A: EventArgument, R: AckConvertible>(
        _ event: String, _ method: @escaping @LoopActor (Controller) -> (repeat each A) throws -> R
    ) {
        let signature = ArgumentSignature(repeat (each A).self)
        entries[event] = .sync { controller, raw, sender, ackID in
            let values = try signature.decode(raw, as: repeat (each A).self)
            return try method(controller)(repeat each values).ackArguments(to: sender, ackID: ackID)
        }
    }

    /// Registers a method that passes its arguments on as they came (``RawArguments`` in
    /// and out): it runs without the generic decoding of the other forms.
    public mutating func on(_ event: String, _ method: @escaping @LoopActor (Controller) -> (RawArguments) throws -> RawArguments) {
        entries[event] = .sync { controller, raw, _, _ in try method(controller)(raw) }
    }

    /// Registers a method without a result (the ack, when asked for, has no arguments).
    @inlinable
    public mutating func on<each A: EventArgument>(
        _ event: String, _ method: @escaping @LoopActor (Controller) -> (repeat each A) throws -> Void
    ) {
        let signature = ArgumentSignature(repeat (each A).self)
        entries[event] = .sync { controller, raw, _, _ in
            let values = try signature.decode(raw, as: repeat (each A).self)
            try method(controller)(repeat each values)
            return RawArguments([])
        }
    }

    /// Registers an async method whose result is the ack.
    @inlinable
    public mutating func on<each A: EventArgument, R: AckConvertible>(
        _ event: String, _ method: @escaping @LoopActor (Controller) -> (repeat each A) async throws -> R
    ) {
        let signature = ArgumentSignature(repeat (each A).self)
        entries[event] = .async { controller, raw, sender, ackID in
            let values = try signature.decode(raw, as: repeat (each A).self)
            return try await method(controller)(repeat each values).ackArguments(to: sender, ackID: ackID)
        }
    }

    /// Registers an async method without a result.
    @inlinable
    public mutating func on<each A: EventArgument>(
        _ event: String, _ method: @escaping @LoopActor (Controller) -> (repeat each A) async throws -> Void
    ) {
        let signature = ArgumentSignature(repeat (each A).self)
        entries[event] = .async { controller, raw, _, _ in
            let values = try signature.decode(raw, as: repeat (each A).self)
            try await method(controller)(repeat each values)
            return RawArguments([])
        }
    }
}
