/// Counts the libuv handles that one owner (a server, say) has open.
///
/// A handle counts from its creation until libuv's close callback has run, so a count of
/// zero after shutdown proves that nothing leaked.
///
/// ```swift
/// let handles = HandleGroup()
/// let timer = LoopTimer(group: handles) { }
/// timer.close()   // handles.openCount drops to 0 once libuv has closed it
/// ```
@LoopActor
public final class HandleGroup {
    /// Handles opened and not yet closed by libuv.
    public private(set) var openCount = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Creates an empty group.
    public init() {}

    func opened() { openCount += 1 }

    func closed() {
        openCount -= 1
        if openCount == 0 {
            let pending = waiters
            waiters.removeAll()
            for waiter in pending { waiter.resume() }
        }
    }

    /// Returns when every handle of the group has been closed by libuv.
    public func waitUntilEmpty() async {
        if openCount == 0 { return }
        await withCheckedContinuation { waiters.append($0) }
    }
}

@inline(__always)
func asHandle<T>(_ pointer: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<uv_handle_t> {
    UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: uv_handle_t.self)
}

@inline(__always)
func asStream<T>(_ pointer: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<uv_stream_t> {
    UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: uv_stream_t.self)
}

import CLibUV
