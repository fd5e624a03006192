/// Something with at most one deadline in a ``DeadlineQueue``.
@LoopActor
public protocol DeadlineOwner: AnyObject {
    /// Where the owner's deadline sits in its queue: kept by the queue, `-1` when none.
    /// Start it at `-1`.
    var deadlineSlot: Int { get set }
    /// The deadline has passed (the owner is out of the queue now; it may schedule again).
    func deadlineReached()
}

/// Many deadlines on one libuv timer: a binary min-heap of owners ordered by deadline
/// (loop milliseconds), the timer armed for the earliest. Scheduling, moving and cancelling
/// cost O(log n) and no allocation beyond the heap's array, against a libuv timer handle, a
/// timer object and a callback context per owner otherwise.
///
/// ```swift
/// let deadlines = DeadlineQueue(group: handles)
/// deadlines.schedule(session, at: EventLoop.shared.nowMilliseconds + 25_000)
/// deadlines.cancel(session)
/// ```
///
/// The timer exists only while an owner is scheduled (so a server with no session holds no
/// handle); a scheduled owner is kept alive by the queue until it fires or is cancelled.
@LoopActor
public final class DeadlineQueue {
    private struct Entry {
        var deadline: UInt64
        let owner: any DeadlineOwner
    }

    /// The heap, in a cell: every access is one statement of this queue's own methods, which
    /// call out (an owner's `deadlineReached`) only after the entry left it, so no access to
    /// it is ever in progress when another begins.
    private let cell = LoopConfinedCell.holding([Entry]())
    private var heap: [Entry] {
        _read { yield cell.value }
        _modify { yield &cell.value }
    }
    private let group: HandleGroup?
    private var timer: LoopTimer?
    /// The deadline the timer is armed for (`UInt64.max`: not armed).
    private var armedFor = UInt64.max
    private var firing = false

    /// Creates an empty queue; its timer counts in `group` while it exists.
    public init(group: HandleGroup? = nil) {
        self.group = group
    }

    /// Owners scheduled.
    public var count: Int { heap.count }

    /// The earliest deadline, if any.
    public var earliest: UInt64? { heap.first?.deadline }

    /// Schedules `owner` at `deadline`, or moves its deadline there.
    public func schedule(_ owner: any DeadlineOwner, at deadline: UInt64) {
        let slot = owner.deadlineSlot
        if slot >= 0 && slot < heap.count && heap[slot].owner === owner {
            let earlier = deadline < heap[slot].deadline
            heap[slot].deadline = deadline
            if earlier { siftUp(slot) } else { siftDown(slot) }
        } else {
            heap.append(Entry(deadline: deadline, owner: owner))
            owner.deadlineSlot = heap.count - 1
            siftUp(heap.count - 1)
        }
        rearm()
    }

    /// Removes `owner`'s deadline, if it has one here.
    public func cancel(_ owner: any DeadlineOwner) {
        let slot = owner.deadlineSlot
        guard slot >= 0 && slot < heap.count && heap[slot].owner === owner else { return }
        remove(at: slot)
        rearm()
    }

    /// Calls every owner whose deadline has passed, earliest first.
    private func fire() {
        firing = true
        armedFor = .max
        let now = EventLoop.shared.nowMilliseconds
        while let top = heap.first, top.deadline <= now {
            remove(at: 0)
            top.owner.deadlineReached()
        }
        firing = false
        rearm()
    }

    private func rearm() {
        if firing { return }
        guard let earliest = heap.first?.deadline else {
            timer?.close()   // nothing left: no handle held
            timer = nil
            armedFor = .max
            return
        }
        if earliest == armedFor { return }
        if timer == nil { timer = LoopTimer(group: group) { [unowned self] in fire() } }
        let now = EventLoop.shared.nowMilliseconds
        timer?.start(afterMilliseconds: earliest > now ? earliest - now : 0)
        armedFor = earliest
    }

    private func remove(at slot: Int) {
        heap[slot].owner.deadlineSlot = -1
        let last = heap.count - 1
        if slot != last {
            heap.swapAt(slot, last)
            heap[slot].owner.deadlineSlot = slot
        }
        heap.removeLast()
        if slot < heap.count {
            siftDown(slot)
            siftUp(slot)
        }
    }

    private func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { break }
            swap(child, parent)
            child = parent
        }
    }

    private func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            let right = left + 1
            let child = right < heap.count && heap[right].deadline < heap[left].deadline ? right : left
            guard heap[child].deadline < heap[parent].deadline else { return }
            swap(child, parent)
            parent = child
        }
    }

    private func swap(_ a: Int, _ b: Int) {
        heap.swapAt(a, b)
        heap[a].owner.deadlineSlot = a
        heap[b].owner.deadlineSlot = b
    }
}
