import CLibUV

/// Calls a handler on the loop when the process receives a signal.
///
/// ```swift
/// let watcher = try SignalWatcher(signal: SIGTERM) { print("terminating") }
/// ```
@LoopActor
public final class SignalWatcher {
    // nonisolated(unsafe): the pointer itself never changes after init; libuv's C callbacks,
    // which the compiler cannot see as on the loop, read it, and they run only on the loop's thread.
    nonisolated(unsafe) let handle: UnsafeMutablePointer<uv_signal_t>
    private let callback: @LoopActor () -> Void
    private var isClosed = false

    /// Starts watching `signal` (such as `SIGINT`).
    public init(signal: Int32, _ callback: @escaping @LoopActor () -> Void) throws(UVError) {
        self.callback = callback
        handle = .allocate(capacity: 1)
        uv_signal_init(EventLoop.shared.uvLoop, handle)
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
        let status = uv_signal_start(handle, loopSignalCallback, signal)
        if status < 0 {
            close()
            throw UVError(code: status, operation: "watch signal \(signal)")
        }
        uv_unref(asHandle(handle))
    }

    /// Stops watching. Idempotent.
    public func close() {
        if isClosed { return }
        isClosed = true
        uv_close(asHandle(handle), loopSignalCloseCallback)
    }

    fileprivate func fire() {
        if !isClosed { callback() }
    }
}

private func loopSignalCallback(_ handle: UnsafeMutablePointer<uv_signal_t>?, _ signal: Int32) {
    let watcher = Unmanaged<SignalWatcher>.fromOpaque(handle!.pointee.data).takeUnretainedValue()
    LoopActor.assumeIsolated { watcher.fire() }
}

private func loopSignalCloseCallback(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    let unmanaged = Unmanaged<SignalWatcher>.fromOpaque(handle!.pointee.data)
    let pointer = unmanaged.takeUnretainedValue().handle
    unmanaged.release()
    pointer.deallocate()
}
