/// A reference to an object that something else keeps alive, used without a retain and a
/// release: with ``LoopConfinedCell``, the one place outside libuv's handles where Flagon
/// skips a check the language would make.
///
/// A strong or `unowned` reference is retained around each call made through it. Per
/// message or per recipient of a broadcast, that reference counting costs more than the
/// call (`docs/hot-path.md` has the figures). This reference is not counted at all.
///
/// Soundness is the holder's to keep: the object must outlive every call made through the
/// reference. It holds when the reference points up an ownership chain (a socket names the
/// session of the connection it keeps), or when the caller holds the object for the call
/// (a room's socket list held for its walk).
///
/// ```swift
/// let session = UnretainedReference(connection.engine)
/// session.with { $0.flush() }
/// ```
@frozen
public struct UnretainedReference<Object: AnyObject> {
    @usableFromInline let unmanaged: Unmanaged<Object>

    /// A reference to `object`, which something else keeps alive.
    @inlinable @inline(__always)
    public init(_ object: Object) {
        unmanaged = Unmanaged.passUnretained(object)
    }

    /// Calls `body` with the object, with no retain and no release around the call. The
    /// closure is formed in a Swift 6 module, so it carries no run-time isolation check.
    @inlinable @inline(__always)
    public func with<R>(_ body: (Object) -> R) -> R {
        unmanaged._withUnsafeGuaranteedRef { body($0) }
    }
}
