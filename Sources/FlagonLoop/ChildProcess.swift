import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// A child process started on the loop, with its exit reported there.
///
/// ```swift
/// let child = try ChildProcess(path: "/proc/self/exe", arguments: [], environment: ["A=1"],
///                              inheritedDescriptors: [listenFD]) { status, signal in
///     print("exited", status, signal)
/// }
/// child.kill(SIGTERM)
/// ```
@LoopActor
public final class ChildProcess {
    // nonisolated(unsafe): the pointer itself never changes after init; libuv's C callbacks,
    // which the compiler cannot see as on the loop, read it, and they run only on the loop's thread.
    nonisolated(unsafe) let handle: UnsafeMutablePointer<uv_process_t>
    private var onExit: ((Int64, Int32) -> Void)?
    /// The process id.
    public let pid: Int32
    /// `true` once it exited.
    public private(set) var hasExited = false

    /// Starts `path` with `arguments` (without the program name) and `environment`
    /// (`NAME=value` entries). Standard input, output and error are the parent's;
    /// `inheritedDescriptors` become the child's descriptors 3, 4, and so on.
    public init(path: String, arguments: [String], environment: [String], inheritedDescriptors: [Int32] = [],
                onExit: @escaping @LoopActor (_ status: Int64, _ signal: Int32) -> Void) throws(UVError) {
        self.onExit = onExit
        let handle = UnsafeMutablePointer<uv_process_t>.allocate(capacity: 1)
        handle.initialize(to: uv_process_t())
        self.handle = handle
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        let passed = [0, 1, 2] + inheritedDescriptors
        var stdio = [uv_stdio_container_t](repeating: uv_stdio_container_t(), count: passed.count)
        for (index, descriptor) in passed.enumerated() {
            stdio[index].flags = UV_INHERIT_FD
            stdio[index].data.fd = descriptor
        }
        var options = uv_process_options_t()
        options.exit_cb = childExitCallback
        let loop = EventLoop.shared.uvLoop
        let status: Int32 = path.withCString { file in
            options.file = file
            return argv.withUnsafeBufferPointer { args in
                envp.withUnsafeBufferPointer { env in
                    stdio.withUnsafeMutableBufferPointer { containers in
                        options.args = UnsafeMutablePointer(mutating: args.baseAddress)
                        options.env = UnsafeMutablePointer(mutating: env.baseAddress)
                        options.stdio_count = Int32(containers.count)
                        options.stdio = containers.baseAddress
                        return uv_spawn(loop, handle, &options)
                    }
                }
            }
        }
        if status < 0 {
            // libuv initialized the handle: it must still be closed.
            pid = 0
            hasExited = true
            self.onExit = nil
            handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
            uv_close(asHandle(handle), childCloseCallback)
            throw UVError(code: status, operation: "spawn \(path)")
        }
        pid = handle.pointee.pid
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    /// Sends a signal (ignored once the process exited).
    public func kill(_ signal: Int32) {
        guard !hasExited else { return }
        uv_process_kill(handle, signal)
    }

    fileprivate func exited(status: Int64, signal: Int32) {
        hasExited = true
        let onExit = self.onExit
        self.onExit = nil
        uv_close(asHandle(handle), childCloseCallback)
        onExit?(status, signal)
    }
}

private func childExitCallback(_ handle: UnsafeMutablePointer<uv_process_t>?, _ status: Int64, _ signal: Int32) {
    let child = Unmanaged<ChildProcess>.fromOpaque(handle!.pointee.data).takeUnretainedValue()
    LoopActor.assumeIsolated { child.exited(status: status, signal: signal) }
}

private func childCloseCallback(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    let unmanaged = Unmanaged<ChildProcess>.fromOpaque(handle!.pointee.data)
    let pointer = unmanaged.takeUnretainedValue().handle
    unmanaged.release()
    pointer.deallocate()
}
