import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// The process's libuv loop, running on a thread of its own, and the Swift concurrency
/// executor behind ``LoopActor``.
///
/// Work enqueued from the loop thread goes on a local queue (no syscall); work from other
/// threads goes on a locked queue and wakes the loop with `uv_async_send`, which coalesces.
/// Both queues drain after each poll phase, followed by a flush of the writes batched
/// during that turn.
///
/// ```swift
/// EventLoop.shared.execute { print("on the loop") }   // from any thread
/// ```
public final class EventLoop: SerialExecutor, TaskExecutor, @unchecked Sendable {
    /// The loop every Flagon server in this process runs on.
    public static let shared = EventLoop()

    /// The libuv loop. Only the loop thread may use it.
    let uvLoop: UnsafeMutablePointer<uv_loop_t>
    private let wakeup: UnsafeMutablePointer<uv_async_t>
    private let idle: UnsafeMutablePointer<uv_idle_t>
    private let check: UnsafeMutablePointer<uv_check_t>
    private let ready: UnsafeMutablePointer<uv_sem_t>
    private var thread: uv_thread_t = uv_thread_t()

    private let lock = PThreadMutex()
    // Guarded by `lock`.
    private var remoteJobs: [UnownedJob] = []
    private var remoteClosures: [@Sendable () -> Void] = []

    // Loop thread only.
    @exclusivity(unchecked) private var localJobs: [UnownedJob] = []
    @exclusivity(unchecked) private var spareJobs: [UnownedJob] = []
    private var idleArmed = false
    @exclusivity(unchecked) private var pendingFlushes: [() -> Void] = []
    @exclusivity(unchecked) private var spareFlushes: [() -> Void] = []
    @exclusivity(unchecked) private var pendingStreams: [TCPStream] = []
    @exclusivity(unchecked) private var spareStreams: [TCPStream] = []
    /// A buffer that libuv reads into; its contents are consumed before the next read.
    let readBuffer: UnsafeMutableRawBufferPointer

    private init() {
        // A write to a socket the peer has closed must fail with EPIPE, not kill the
        // process with SIGPIPE (libuv writes with write(2), which raises it).
        signal(SIGPIPE, SIG_IGN)
        uvLoop = .allocate(capacity: 1)
        precondition(uv_loop_init(uvLoop) == 0, "uv_loop_init failed")
        wakeup = .allocate(capacity: 1)
        idle = .allocate(capacity: 1)
        check = .allocate(capacity: 1)
        ready = .allocate(capacity: 1)
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
        localJobs.reserveCapacity(256)
        spareJobs.reserveCapacity(256)
        let me = Unmanaged.passUnretained(self).toOpaque()
        uv_async_init(uvLoop, wakeup, loopWakeupCallback)
        wakeup.pointee.data = me
        uv_idle_init(uvLoop, idle)
        idle.pointee.data = me
        uv_check_init(uvLoop, check)
        check.pointee.data = me
        uv_check_start(check, loopCheckCallback)
        uv_unref(UnsafeMutableRawPointer(check).assumingMemoryBound(to: uv_handle_t.self))
        uv_sem_init(ready, 0)
        var tid = uv_thread_t()
        let status = uv_thread_create(&tid, loopThreadEntry, me)
        precondition(status == 0, "cannot start the event loop thread")
        uv_sem_wait(ready)
    }

    fileprivate func threadMain() {
        thread = uv_thread_self()
        uv_sem_post(ready)
        uv_run(uvLoop, UV_RUN_DEFAULT)
    }

    // MARK: Thread identity

    /// `true` when the caller runs on the loop thread.
    public var inLoop: Bool {
        var me = uv_thread_self()
        var loopThread = thread
        return uv_thread_equal(&me, &loopThread) != 0
    }

    /// Traps unless the caller runs on the loop thread (a programmer error).
    public func preconditionInLoop(file: StaticString = #fileID, line: UInt = #line) {
        precondition(inLoop, "must run on the Flagon event loop thread", file: file, line: line)
    }

    // MARK: Executor

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        if inLoop {
            localJobs.append(unowned)
            armIdle()
        } else {
            lock.withLock { remoteJobs.append(unowned) }
            uv_async_send(wakeup)
        }
    }

    public func checkIsolated() {
        preconditionInLoop()
    }

    public func isIsolatingCurrentContext() -> Bool? {
        inLoop
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    public func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }

    /// Runs `body` on the loop thread, from any thread, without an actor hop.
    ///
    /// ```swift
    /// EventLoop.shared.execute { LoopActor.assumeIsolated { counter += 1 } }
    /// ```
    public func execute(_ body: @escaping @Sendable () -> Void) {
        lock.withLock { remoteClosures.append(body) }
        uv_async_send(wakeup)
    }

    /// Asks for `flush` to run at the end of this loop turn, after the queued jobs.
    /// Writers use it to batch many small writes into one system call. Loop thread only.
    ///
    /// ```swift
    /// EventLoop.shared.atEndOfTurn { LoopActor.assumeIsolated { session.flushPendingPoll() } }
    /// ```
    public func atEndOfTurn(_ flush: @escaping () -> Void) {
        pendingFlushes.append(flush)
        armIdle()
    }

    /// Asks for a stream's batched writes to go out at the end of this turn (no closure
    /// allocated: a fan-out touches thousands of streams per turn).
    func deferFlush(of stream: TCPStream) {
        pendingStreams.append(stream)
        armIdle()
    }

    private func armIdle() {
        if !idleArmed {
            idleArmed = true
            uv_idle_start(idle, loopIdleCallback)
        }
    }

    fileprivate func drainRemote() {
        let (jobs, closures) = lock.withLock {
            let taken = (remoteJobs, remoteClosures)
            remoteJobs.removeAll()
            remoteClosures.removeAll()
            return taken
        }
        for closure in closures { closure() }
        for job in jobs { run(job) }
        drainLocal()
    }

    @inline(__always)
    private func run(_ job: UnownedJob) {
        // Run as the serial executor only: a task with no executor preference that calls an
        // async function isolated to the loop then continues in place. Naming the loop as the
        // task executor too made every such call a hop through the job queue (the runtime
        // compares the running task executor with the task's preference, which is none).
        job.runSynchronously(on: asUnownedSerialExecutor())
    }

    /// Runs the local jobs and then the deferred flushes, until both are empty
    /// (bounded, so that I/O is never starved).
    fileprivate func drainLocal() {
        var rounds = 0
        while rounds < 64 && (!localJobs.isEmpty || !pendingFlushes.isEmpty || !pendingStreams.isEmpty) {
            rounds += 1
            while !localJobs.isEmpty {
                swap(&localJobs, &spareJobs)
                for job in spareJobs { run(job) }
                spareJobs.removeAll(keepingCapacity: true)
            }
            if !pendingFlushes.isEmpty {
                swap(&pendingFlushes, &spareFlushes)
                for flush in spareFlushes { flush() }
                spareFlushes.removeAll(keepingCapacity: true)
            }
            if !pendingStreams.isEmpty {
                swap(&pendingStreams, &spareStreams)
                LoopActor.assumeIsolated(self) { loop in
                    for stream in loop.spareStreams { stream.flush() }
                }
                spareStreams.removeAll(keepingCapacity: true)
            }
        }
        if localJobs.isEmpty && pendingFlushes.isEmpty && pendingStreams.isEmpty && idleArmed {
            idleArmed = false
            uv_idle_stop(idle)
        }
    }

    /// The loop's clock in milliseconds, cached at the start of each loop turn.
    /// Loop thread only.
    public var nowMilliseconds: UInt64 { uv_now(uvLoop) }

    /// The loop's clock brought up to date first: I/O callbacks run with the time cached
    /// before the loop waited, which can be a whole wait behind. Loop thread only.
    public var currentMilliseconds: UInt64 {
        uv_update_time(uvLoop)
        return uv_now(uvLoop)
    }
}

private func loopThreadEntry(_ argument: UnsafeMutableRawPointer?) {
    Unmanaged<EventLoop>.fromOpaque(argument!).takeUnretainedValue().threadMain()
}

private func loopWakeupCallback(_ handle: UnsafeMutablePointer<uv_async_t>?) {
    Unmanaged<EventLoop>.fromOpaque(handle!.pointee.data).takeUnretainedValue().drainRemote()
}

private func loopIdleCallback(_ handle: UnsafeMutablePointer<uv_idle_t>?) {
    Unmanaged<EventLoop>.fromOpaque(handle!.pointee.data).takeUnretainedValue().drainLocal()
}

private func loopCheckCallback(_ handle: UnsafeMutablePointer<uv_check_t>?) {
    Unmanaged<EventLoop>.fromOpaque(handle!.pointee.data).takeUnretainedValue().drainLocal()
}

