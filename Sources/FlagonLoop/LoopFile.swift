import CLibUV

/// A file read through libuv's thread pool (`uv_fs_*`): the loop never waits for the disk.
///
/// ```swift
/// guard let status = await LoopFile.status(of: "/srv/app.js") else { return }
/// let file = try await LoopFile.open("/srv/app.js")
/// let head = try await file.read(count: 4096, at: 0)
/// file.close()
/// ```
@LoopActor
public final class LoopFile {
    /// What `stat` says of a file.
    public struct Status: Sendable, Equatable {
        /// The size in bytes.
        public var size: Int
        /// The last modification, in seconds since 1970.
        public var modified: Int
        /// The inode number.
        public var inode: UInt64
        /// `true` for a regular file (not a folder, device or socket).
        public var isRegularFile: Bool
    }

    private let descriptor: Int32
    private var isClosed = false

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// The canonical absolute path (symlinks resolved), or `nil` when it does not exist.
    public static func realPath(_ path: String) async -> String? {
        let (result, request) = await run { request, callback in
            uv_fs_realpath(EventLoop.shared.uvLoop, request, path, callback)
        }
        defer { finish(request) }
        guard result >= 0, let pointer = request.pointee.ptr else { return nil }
        return String(cString: pointer.assumingMemoryBound(to: CChar.self))
    }

    /// The file's status (following symlinks), or `nil` when it does not exist.
    public static func status(of path: String) async -> Status? {
        let (result, request) = await run { request, callback in
            uv_fs_stat(EventLoop.shared.uvLoop, request, path, callback)
        }
        defer { finish(request) }
        guard result >= 0 else { return nil }
        let stat = request.pointee.statbuf
        return Status(size: Int(stat.st_size), modified: Int(stat.st_mtim.tv_sec), inode: stat.st_ino,
                      isRegularFile: (stat.st_mode & UInt64(S_IFMT)) == UInt64(S_IFREG))
    }

    /// Opens a file for reading.
    public static func open(_ path: String) async throws(UVError) -> LoopFile {
        let (result, request) = await run { request, callback in
            uv_fs_open(EventLoop.shared.uvLoop, request, path, O_RDONLY | O_CLOEXEC, 0, callback)
        }
        finish(request)
        guard result >= 0 else { throw UVError(code: Int32(result), operation: "open \(path)") }
        return LoopFile(descriptor: Int32(result))
    }

    /// Reads up to `count` bytes at `offset` (fewer at the end of the file).
    public func read(count: Int, at offset: Int) async throws(UVError) -> [UInt8] {
        precondition(!isClosed, "read after close")
        if count == 0 { return [] }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 1)
        defer { buffer.deallocate() }
        let descriptor = self.descriptor
        let (result, request) = await Self.run { request, callback in
            var slice = uv_buf_init(buffer.assumingMemoryBound(to: CChar.self), UInt32(count))
            return uv_fs_read(EventLoop.shared.uvLoop, request, descriptor, &slice, 1, Int64(offset), callback)
        }
        Self.finish(request)
        guard result >= 0 else { throw UVError(code: Int32(result), operation: "read") }
        return Array(UnsafeRawBufferPointer(start: buffer, count: result))
    }

    /// Closes the file (in the thread pool; nothing waits for it).
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        let request = UnsafeMutablePointer<uv_fs_t>.allocate(capacity: 1)
        if uv_fs_close(EventLoop.shared.uvLoop, request, descriptor, loopFileClosedCallback) < 0 { request.deallocate() }
    }

    isolated deinit {
        close()
    }

    /// Starts a request and waits for its callback; returns the result and the request (to clean up).
    private static func run(
        _ start: (UnsafeMutablePointer<uv_fs_t>, uv_fs_cb) -> Int32
    ) async -> (Int, UnsafeMutablePointer<uv_fs_t>) {
        let request = UnsafeMutablePointer<uv_fs_t>.allocate(capacity: 1)
        let result: Int = await withCheckedContinuation { continuation in
            let waiter = FileRequestWaiter(continuation)
            request.pointee.data = Unmanaged.passRetained(waiter).toOpaque()
            let started = start(request, loopFileCallback)
            if started < 0 {
                Unmanaged<FileRequestWaiter>.fromOpaque(request.pointee.data).release()
                continuation.resume(returning: Int(started))
            }
        }
        return (result, request)
    }

    private static func finish(_ request: UnsafeMutablePointer<uv_fs_t>) {
        uv_fs_req_cleanup(request)
        request.deallocate()
    }
}

/// Holds the task waiting for one `uv_fs_*` request.
private final class FileRequestWaiter {
    let continuation: CheckedContinuation<Int, Never>
    init(_ continuation: CheckedContinuation<Int, Never>) { self.continuation = continuation }
}

private func loopFileCallback(_ request: UnsafeMutablePointer<uv_fs_t>?) {
    guard let request else { return }
    let waiter = Unmanaged<FileRequestWaiter>.fromOpaque(request.pointee.data).takeRetainedValue()
    waiter.continuation.resume(returning: Int(request.pointee.result))
}

private func loopFileClosedCallback(_ request: UnsafeMutablePointer<uv_fs_t>?) {
    guard let request else { return }
    uv_fs_req_cleanup(request)
    request.deallocate()
}
