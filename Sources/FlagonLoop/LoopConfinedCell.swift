/// A value that one loop's code reads and mutates in place with no dynamic exclusivity
/// check: with ``UnretainedReference``, the one place outside libuv's handles where Flagon
/// skips a check the language would make.
///
/// Swift checks at run time that no two accesses to a class's stored property overlap (a
/// call into the runtime per access). For state touched per message or per recipient, that
/// check costs more than the work (`docs/hot-path.md` has the figures). The value lives in
/// this object's own storage, after its header, and is reached through addressors that the
/// compiler inlines across modules: no check, no call, no second allocation.
///
/// Soundness is the owner's to keep, and it is about reentrancy, not threads (a
/// `@LoopActor` owner is already on one thread): no code that runs during an access to the
/// value (a handler, a hook, a closure it calls) may reach the same cell. Counters changed
/// in one statement, and queues mutated by their own methods that call out only after the
/// access ended, keep it.
///
/// ```swift
/// let counters = LoopConfinedCell.holding(Counters())
/// counters.value.sent &+= 1
/// ```
public final class LoopConfinedCell<Value>: ManagedBuffer<Value, UInt8> {
    /// A cell holding `value` (one allocation: the value is stored in the cell).
    @inlinable
    public static func holding(_ value: Value) -> LoopConfinedCell<Value> {
        unsafeDowncast(create(minimumCapacity: 0) { _ in value }, to: LoopConfinedCell<Value>.self)
    }

    /// Where the value lives: valid while the cell lives (reached through ``value``).
    @inlinable
    var address: UnsafeMutablePointer<Value> {
        @inline(__always) get { withUnsafeMutablePointerToHeader { $0 } }
    }

    /// The value, read or mutated in place.
    @inlinable
    public var value: Value {
        @inline(__always) unsafeAddress { UnsafePointer(address) }
        @inline(__always) unsafeMutableAddress { address }
    }
}
