import FlagonLoop

/// The ack timeouts of one socket on the engine's ``DeadlineQueue``: one entry, at the
/// earliest deadline of the acks it waits for (no libuv timer per ack). Made on the first
/// ack with a timeout; its socket cancels it when it leaves.
@LoopActor
final class AckDeadline: DeadlineOwner {
    var deadlineSlot = -1
    /// The deadline scheduled (`UInt64.max`: none).
    private(set) var scheduled = UInt64.max
    private let queue: DeadlineQueue
    private let expire: @LoopActor (_ now: UInt64) -> UInt64?

    /// `expire` fails the acks due at `now` and returns the next deadline, if any.
    init(queue: DeadlineQueue, expire: @escaping @LoopActor (_ now: UInt64) -> UInt64?) {
        self.queue = queue
        self.expire = expire
    }

    /// Makes sure a deadline at `deadline` will be looked at.
    func include(_ deadline: UInt64) {
        guard deadline < scheduled else { return }
        scheduled = deadline
        queue.schedule(self, at: deadline)
    }

    /// No ack is waiting any more.
    func cancel() {
        guard scheduled != .max else { return }
        scheduled = .max
        queue.cancel(self)
    }

    func deadlineReached() {
        scheduled = .max
        if let next = expire(EventLoop.shared.nowMilliseconds) { include(next) }
    }
}
