/// The global actor of Flagon's event loop: code isolated to it runs on the loop thread.
///
/// Server state (connections, sessions, rooms) is plain storage isolated to this actor,
/// so it needs no locks. Async functions isolated to it resume on the loop after an `await`.
///
/// ```swift
/// @LoopActor func handle() async {
///     try? await Task.sleep(for: .milliseconds(5))
///     EventLoop.shared.preconditionInLoop()   // still the loop thread
/// }
/// ```
@globalActor
public final actor LoopActor: GlobalActor {
    /// The one instance of the actor.
    public static let shared = LoopActor()

    /// The loop's serial executor.
    public static var sharedUnownedExecutor: UnownedSerialExecutor {
        EventLoop.shared.asUnownedSerialExecutor()
    }

    /// The loop's serial executor.
    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        EventLoop.shared.asUnownedSerialExecutor()
    }

    /// Runs `operation` as loop-isolated code; the caller must already be on the loop thread
    /// (a libuv callback, for instance). Traps otherwise.
    ///
    /// ```swift
    /// LoopActor.assumeIsolated { server.accept(stream) }
    /// ```
    public static func assumeIsolated<T>(
        _ operation: @LoopActor () throws -> T,
        file: StaticString = #fileID, line: UInt = #line
    ) rethrows -> T {
        EventLoop.shared.preconditionInLoop(file: file, line: line)
        typealias Isolated = @LoopActor () throws -> T
        typealias Plain = () throws -> T
        return try withoutActuallyEscaping(operation) { (isolated: @escaping Isolated) throws -> T in
            try unsafeBitCast(isolated, to: Plain.self)()
        }
    }

    /// Runs `operation` with `argument` as loop-isolated code, like
    /// ``assumeIsolated(_:file:line:)``. A closure that captures nothing and gets what it
    /// needs as `argument` costs no allocation: a capturing one passed here, or to the
    /// overload without an argument, has its context allocated on the heap (the escape check
    /// that lets the isolation be assumed needs a reference-counted context). libuv's
    /// callbacks, run per read and per write, use this one.
    ///
    /// ```swift
    /// LoopActor.assumeIsolated((stream, count)) { $0.0.didRead($0.1) }
    /// ```
    public static func assumeIsolated<Argument, T>(
        _ argument: Argument, _ operation: @LoopActor (Argument) throws -> T,
        file: StaticString = #fileID, line: UInt = #line
    ) rethrows -> T {
        EventLoop.shared.preconditionInLoop(file: file, line: line)
        typealias Isolated = @LoopActor (Argument) throws -> T
        typealias Plain = (Argument) throws -> T
        return try withoutActuallyEscaping(operation) { (isolated: @escaping Isolated) throws -> T in
            try unsafeBitCast(isolated, to: Plain.self)(argument)
        }
    }
}
