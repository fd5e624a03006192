import CLibUV

/// Work that would stall the loop (a deliberately slow password hash), run on libuv's thread
/// pool (`uv_queue_work`; 4 threads unless `UV_THREADPOOL_SIZE` says otherwise) while the loop
/// goes on. The pool also resolves host names: callers bound what they queue.
///
/// ```swift
/// let matches = await ThreadPool.run { expensiveCheck(password) }
/// ```
public enum ThreadPool {
    /// Runs `work` on a pool thread and returns its result on the loop.
    @LoopActor
    public static func run<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { continuation in
            let job = TypedPoolJob(work: work, continuation: continuation)
            let status = uv_queue_work(EventLoop.shared.uvLoop, job.request, poolWorkCallback, poolAfterWorkCallback)
            if status < 0 {
                // Not queued (the loop is closing): run here rather than never answer.
                job.release()
                continuation.resume(returning: work())
            }
        }
    }
}

/// One queued job. Sendable by hand: the pool thread writes its result in `execute`, and
/// libuv runs `complete` on the loop only after `execute` returned (uv_queue_work orders the
/// two through its own lock), so no two threads ever touch it at once.
private class PoolJob: @unchecked Sendable {
    let request: UnsafeMutablePointer<uv_work_t>

    init() {
        request = .allocate(capacity: 1)
        request.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    func execute() {}
    func complete() {}

    func release() {
        Unmanaged<PoolJob>.fromOpaque(request.pointee.data).release()
        request.deallocate()
    }
}

private final class TypedPoolJob<Result: Sendable>: PoolJob, @unchecked Sendable {
    private let work: @Sendable () -> Result
    private var result: Result?
    private let continuation: CheckedContinuation<Result, Never>

    init(work: @escaping @Sendable () -> Result, continuation: CheckedContinuation<Result, Never>) {
        self.work = work
        self.continuation = continuation
    }

    override func execute() { result = work() }

    /// A job the loop cancelled on closing never ran: it runs here instead.
    override func complete() {
        continuation.resume(returning: result ?? work())
    }
}

private func poolWorkCallback(_ request: UnsafeMutablePointer<uv_work_t>?) {
    Unmanaged<PoolJob>.fromOpaque(request!.pointee.data).takeUnretainedValue().execute()
}

private func poolAfterWorkCallback(_ request: UnsafeMutablePointer<uv_work_t>?, _ status: Int32) {
    let job = Unmanaged<PoolJob>.fromOpaque(request!.pointee.data).takeUnretainedValue()
    job.complete()
    job.release()
}
