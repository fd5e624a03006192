import CLibUV

/// A libuv timer on the loop.
///
/// ```swift
/// let timer = LoopTimer { print("tick") }
/// timer.start(afterMilliseconds: 100, repeatMilliseconds: 100)
/// // later
/// timer.close()
/// ```
@LoopActor
public final class LoopTimer {
    // nonisolated(unsafe): the pointer itself never changes after init; libuv's C callbacks,
    // which the compiler cannot see as on the loop, read it, and they run only on the loop's thread.
    nonisolated(unsafe) let handle: UnsafeMutablePointer<uv_timer_t>
    private let callback: @LoopActor () -> Void
    private let group: HandleGroup?
    /// `true` once ``close()`` was called.
    public private(set) var isClosed = false

    /// Creates a stopped timer that calls `callback` on the loop each time it fires.
    public init(group: HandleGroup? = nil, _ callback: @escaping @LoopActor () -> Void) {
        self.callback = callback
        self.group = group
        handle = .allocate(capacity: 1)
        uv_timer_init(EventLoop.shared.uvLoop, handle)
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
        group?.opened()
    }

    /// Starts (or restarts) the timer.
    public func start(afterMilliseconds timeout: UInt64, repeatMilliseconds repeatInterval: UInt64 = 0) {
        precondition(!isClosed, "timer used after close")
        uv_timer_start(handle, loopTimerCallback, timeout, repeatInterval)
    }

    /// Stops the timer; it can be started again.
    public func stop() {
        if !isClosed { uv_timer_stop(handle) }
    }

    /// Keeps the timer from holding the loop alive.
    public func unref() { uv_unref(asHandle(handle)) }

    /// Closes the timer. Idempotent.
    public func close() {
        if isClosed { return }
        isClosed = true
        uv_close(asHandle(handle), loopTimerCloseCallback)
    }

    fileprivate func fire() {
        if !isClosed { callback() }
    }

    fileprivate func didClose() {
        group?.closed()
    }

    /// Suspends the caller for `milliseconds` using a loop timer; returns early when the
    /// task is cancelled (the timer is closed then, so a cancelled sleeper holds nothing).
    ///
    /// ```swift
    /// await LoopTimer.sleep(milliseconds: 10)
    /// ```
    public static func sleep(milliseconds: UInt64) async {
        let sleeper = Sleeper()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                sleeper.begin(continuation, milliseconds: milliseconds)
            }
        } onCancel: {
            EventLoop.shared.execute { LoopActor.assumeIsolated { sleeper.wake() } }
        }
    }
}

/// One ``LoopTimer/sleep(milliseconds:)`` in progress.
@LoopActor
private final class Sleeper: Sendable {
    private var timer: LoopTimer?
    private var continuation: CheckedContinuation<Void, Never>?
    /// Set once the sleep is over (the timer fired, or the task was cancelled, maybe before it began).
    private var done = false

    func begin(_ continuation: CheckedContinuation<Void, Never>, milliseconds: UInt64) {
        if done || Task.isCancelled { return continuation.resume() }
        self.continuation = continuation
        timer = LoopTimer { [self] in wake() }
        timer?.start(afterMilliseconds: milliseconds)
    }

    func wake() {
        done = true
        timer?.close()
        timer = nil
        continuation?.resume()
        continuation = nil
    }
}

private func loopTimerCallback(_ handle: UnsafeMutablePointer<uv_timer_t>?) {
    let timer = Unmanaged<LoopTimer>.fromOpaque(handle!.pointee.data).takeUnretainedValue()
    LoopActor.assumeIsolated(timer) { $0.fire() }
}

private func loopTimerCloseCallback(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    let unmanaged = Unmanaged<LoopTimer>.fromOpaque(handle!.pointee.data)
    let timer = unmanaged.takeUnretainedValue()
    LoopActor.assumeIsolated(timer) { $0.didClose() }
    let pointer = timer.handle
    unmanaged.release()
    pointer.deallocate()
}
