import FlagonJSON
import FlagonLoop

/// The registration table of a ``NamespaceController`` subclass: event names mapped to its
/// `on_<event>` methods. Each entry decodes the event's arguments into the method's
/// parameter types, checks their count (trailing optionals may be left out), calls the
/// method (sync or async, throwing or not) and turns its result into the ack.
///
/// ```swift
/// final class Game: NamespaceController, EventController {
///     static let events = EventTable<Game> { table in
///         table.on("move", Game.on_move)
///         table.on("chat", Game.on_chat)
///     }
///     func on_move(_ x: Int, _ y: Int) -> Bool { true }
///     func on_chat(_ text: String) async throws -> JSONValue { ["ok": true] }
/// }
/// ```
@LoopActor
public struct EventTable<Controller: NamespaceController> {
    enum Entry {
        case sync(@LoopActor (Controller, [JSONValue]) throws -> [JSONValue])
        case async(@LoopActor (Controller, [JSONValue]) async throws -> [JSONValue])
    }

    private(set) var entries: [String: Entry] = [:]
    private(set) var rateLimits: [String: RateLimit] = [:]

    /// Limits how often one socket may send `event` (on top of the namespace's limit).
    ///
    /// ```swift
    /// table.on("say", Chat.on_say)
    /// table.limit("say", RateLimit(perSecond: 2, burst: 5))
    /// ```
    public mutating func limit(_ event: String, _ limit: RateLimit) {
        rateLimits[event] = limit
    }

    /// Builds a table.
    public init(_ build: (inout EventTable) -> Void) {
        build(&self)
    }

    /// The event names registered.
    public var eventNames: Set<String> { Set(entries.keys) }

    private static func checkCount(_ arguments: [JSONValue], _ types: [any EventArgument.Type]) throws(EventArgumentError) {
        let required = (types.lastIndex { !$0.isOptional }.map { $0 + 1 }) ?? 0
        guard arguments.count >= required, arguments.count <= types.count else {
            let expected = required == types.count ? "\(required)" : "\(required) to \(types.count)"
            throw EventArgumentError("expected \(expected) argument\(types.count == 1 ? "" : "s"), got \(arguments.count)")
        }
    }

    // MARK: No argument

    /// Registers a method without parameters.
    public mutating func on<R>(_ event: String, _ method: @escaping @LoopActor (Controller) -> () throws -> R) {
        entries[event] = .sync { controller, args in
            try Self.checkCount(args, [])
            return AckConversion.arguments(try method(controller)())
        }
    }

    /// Registers an async method without parameters.
    public mutating func on<R>(_ event: String, _ method: @escaping @LoopActor (Controller) -> () async throws -> R) {
        entries[event] = .async { controller, args in
            try Self.checkCount(args, [])
            return AckConversion.arguments(try await method(controller)())
        }
    }

    // MARK: One argument

    /// Registers a method with one parameter.
    public mutating func on<A: EventArgument, R>(_ event: String, _ method: @escaping @LoopActor (Controller) -> (A) throws -> R) {
        entries[event] = .sync { controller, args in
            try Self.checkCount(args, [A.self])
            return AckConversion.arguments(try method(controller)(try A.argument(args, 0)))
        }
    }

    /// Registers an async method with one parameter.
    public mutating func on<A: EventArgument, R>(_ event: String, _ method: @escaping @LoopActor (Controller) -> (A) async throws -> R) {
        entries[event] = .async { controller, args in
            try Self.checkCount(args, [A.self])
            return AckConversion.arguments(try await method(controller)(try A.argument(args, 0)))
        }
    }

    // MARK: Two arguments

    /// Registers a method with two parameters.
    public mutating func on<A: EventArgument, B: EventArgument, R>(
        _ event: String, _ method: @escaping @LoopActor (Controller) -> (A, B) throws -> R
    ) {
        entries[event] = .sync { controller, args in
            try Self.checkCount(args, [A.self, B.self])
            return AckConversion.arguments(try method(controller)(try A.argument(args, 0), try B.argument(args, 1)))
        }
    }

    /// Registers an async method with two parameters.
    public mutating func on<A: EventArgument, B: EventArgument, R>(
        _ event: String, _ method: @escaping @LoopActor (Controller) -> (A, B) async throws -> R
    ) {
        entries[event] = .async { controller, args in
            try Self.checkCount(args, [A.self, B.self])
            return AckConversion.arguments(try await method(controller)(try A.argument(args, 0), try B.argument(args, 1)))
        }
    }

    // MARK: Three arguments

    /// Registers a method with three parameters.
    public mutating func on<A: EventArgument, B: EventArgument, C: EventArgument, R>(
        _ event: String, _ method: @escaping @LoopActor (Controller) -> (A, B, C) throws -> R
    ) {
        entries[event] = .sync { controller, args in
            try Self.checkCount(args, [A.self, B.self, C.self])
            return AckConversion.arguments(try method(controller)(try A.argument(args, 0), try B.argument(args, 1), try C.argument(args, 2)))
        }
    }

    /// Registers an async method with three parameters.
    public mutating func on<A: EventArgument, B: EventArgument, C: EventArgument, R>(
        _ event: String, _ method: @escaping @LoopActor (Controller) -> (A, B, C) async throws -> R
    ) {
        entries[event] = .async { controller, args in
            try Self.checkCount(args, [A.self, B.self, C.self])
            return AckConversion.arguments(
                try await method(controller)(try A.argument(args, 0), try B.argument(args, 1), try C.argument(args, 2)))
        }
    }

    // MARK: Raw arguments

    /// Registers a method that takes the raw argument list (any count).
    public mutating func onRaw<R>(_ event: String, _ method: @escaping @LoopActor (Controller) -> ([JSONValue]) throws -> R) {
        entries[event] = .sync { controller, args in AckConversion.arguments(try method(controller)(args)) }
    }

    /// Registers an async method that takes the raw argument list (any count).
    public mutating func onRaw<R>(_ event: String, _ method: @escaping @LoopActor (Controller) -> ([JSONValue]) async throws -> R) {
        entries[event] = .async { controller, args in AckConversion.arguments(try await method(controller)(args)) }
    }
}
