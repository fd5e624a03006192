/// A value that one loop's code reads and mutates in place with no dynamic exclusivity
/// check: the one place outside libuv's handles where Flagon skips that check.
///
/// Swift checks at run time that no two accesses to a class's stored property overlap (a
/// call into the runtime per access). For state touched per message or per recipient, that
/// check costs more than the work (`docs/hot-path.md` has the figures). The value lives
/// behind a pointer this cell owns, and is reached through addressors, which the compiler
/// inlines across modules: no check, no call.
///
/// Soundness is the owner's to keep, and it is about reentrancy, not threads (a
/// `@LoopActor` owner is already on one thread): no code that runs during an access to the
/// value (a handler, a hook, a closure it calls) may reach the same cell. Counters changed
/// in one statement, and queues mutated by their own methods that call out only after the
/// access ended, keep it.
///
/// ```swift
/// let counters = LoopConfinedCell(Counters())
/// counters.value.sent &+= 1
/// ```
public final class LoopConfinedCell<Value> {
    /// Where the value lives (reached through ``value`` only; valid while the cell lives).
    @usableFromInline let address: UnsafeMutablePointer<Value>

    /// A cell holding `value`.
    @inlinable
    public init(_ value: Value) {
        address = UnsafeMutablePointer<Value>.allocate(capacity: 1)
        address.initialize(to: value)
    }

    deinit {
        address.deinitialize(count: 1)
        address.deallocate()
    }

    /// The value, read or mutated in place.
    @inlinable
    public var value: Value {
        @inline(__always) unsafeAddress { UnsafePointer(address) }
        @inline(__always) unsafeMutableAddress { address }
    }
}
