import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// A local (unix-domain) stream between two processes of one server, on the loop, that can
/// carry open TCP connections as well as bytes (libuv's IPC pipes: `SCM_RIGHTS`).
///
/// Bytes written in one loop turn go out together at its end; a connection is sent with
/// ``write(_:sending:completion:)``, after the bytes queued before it. The receiver takes it
/// with ``acceptPendingStream(group:)`` once the bytes that came with it have been read.
///
/// ```swift
/// let channel = try await IPCChannel.connect(path: "/tmp/app/w1.sock")
/// channel.write(Array("hello".utf8))
/// channel.write(requestBytes, sending: stream) { sent in if sent { stream.close() } }
/// ```
@LoopActor
public final class IPCChannel {
    // nonisolated(unsafe): the pointer itself never changes after init; libuv's C callbacks,
    // which the compiler cannot see as on the loop, read it, and they run only on the loop's thread.
    nonisolated(unsafe) let handle: UnsafeMutablePointer<uv_pipe_t>
    /// Called with each chunk read; the bytes are valid only during the call.
    public var onRead: ((UnsafeRawBufferPointer) -> Void)?
    /// Called once, after the channel closed (end of file, an error, or ``close()``).
    public var onClose: (() -> Void)?
    /// `true` once ``close()`` was called.
    public private(set) var isClosed = false
    /// Bytes written and not yet taken by the kernel.
    public private(set) var pendingWriteBytes = 0
    private var outbox: [UInt8] = []
    private var flushScheduled = false

    init() {
        handle = .allocate(capacity: 1)
        uv_pipe_init(EventLoop.shared.uvLoop, handle, 1)
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    /// Connects to the ``IPCListener`` bound at `path`.
    public static func connect(path: String) async throws(UVError) -> IPCChannel {
        let channel = IPCChannel()
        let request = PipeConnectRequest()
        let status: Int32 = await withCheckedContinuation { continuation in
            request.continuation = continuation
            uv_pipe_connect(request.request, channel.handle, path, ipcConnectCallback)
        }
        if status < 0 {
            channel.close()
            throw UVError(code: status, operation: "connect \(path)")
        }
        return channel
    }

    /// Starts delivering reads to ``onRead``.
    public func startReading() {
        guard !isClosed else { return }
        let status = uv_read_start(asStream(handle), ipcAllocCallback, ipcReadCallback)
        if status < 0 { close() }
    }

    /// Queues bytes; they go out at the end of this loop turn.
    public func write(_ bytes: [UInt8]) {
        guard !isClosed else { return }
        outbox.append(contentsOf: bytes)
        pendingWriteBytes += bytes.count
        guard !flushScheduled else { return }
        flushScheduled = true
        EventLoop.shared.atEndOfTurn { [weak self] in LoopActor.assumeIsolated { self?.flush() } }
    }

    /// Sends `bytes` with an open connection (after what is queued). `completion` gets
    /// `true` once the kernel holds the connection for the peer: the sender may then close its
    /// own handle, which leaves the connection open in the receiver.
    public func write(_ bytes: [UInt8], sending stream: TCPStream, completion: @escaping @LoopActor (Bool) -> Void) {
        guard !isClosed, !stream.isClosed, !bytes.isEmpty else { return completion(false) }
        flush()
        pendingWriteBytes += bytes.count
        let write = PipeWriteRequest(channel: self, bytes: bytes, completion: completion)
        if write.submit(sending: stream) < 0 { close() }
    }

    /// The connection that came with the bytes read so far, if one is waiting.
    public func acceptPendingStream(group: HandleGroup? = nil) -> TCPStream? {
        guard !isClosed, uv_pipe_pending_count(handle) > 0 else { return nil }
        let kind = uv_pipe_pending_type(handle)
        guard kind == UV_TCP || kind == UV_NAMED_PIPE else { return nil }
        let stream = TCPStream(group: group, unixSocket: kind == UV_NAMED_PIPE)
        if uv_accept(asStream(handle), asStream(stream.handle)) != 0 {
            stream.close()
            return nil
        }
        return stream
    }

    /// Closes the channel, dropping what is queued. Idempotent.
    public func close() {
        if isClosed { return }
        isClosed = true
        outbox = []
        uv_close(asHandle(handle), ipcCloseCallback)
    }

    private func flush() {
        flushScheduled = false
        guard !isClosed, !outbox.isEmpty else { return }
        let write = PipeWriteRequest(channel: self, bytes: outbox, completion: nil)
        outbox = []
        if write.submit(sending: nil) < 0 { close() }
    }

    fileprivate func written(_ count: Int, status: Int32) {
        pendingWriteBytes -= count
        if status < 0 { close() }
    }

    fileprivate func didRead(_ count: Int, _ base: UnsafeMutablePointer<CChar>?) {
        if isClosed { return }
        if count > 0 {
            onRead?(UnsafeRawBufferPointer(start: base, count: count))
        } else if count < 0 {
            close()
        }
    }

    fileprivate func didClose() {
        let onClose = self.onClose
        self.onClose = nil
        onRead = nil
        onClose?()
    }
}

/// A unix-domain socket that accepts ``IPCChannel``s.
///
/// ```swift
/// let listener = try IPCListener(path: "/tmp/app/w0.sock") { channel in
///     channel.onRead = { bytes in print(bytes.count) }
///     channel.startReading()
/// }
/// ```
@LoopActor
public final class IPCListener {
    // nonisolated(unsafe): the pointer itself never changes after init; libuv's C callbacks,
    // which the compiler cannot see as on the loop, read it, and they run only on the loop's thread.
    nonisolated(unsafe) let handle: UnsafeMutablePointer<uv_pipe_t>
    private let onAccept: (IPCChannel) -> Void
    private var isClosed = false

    /// Binds `path` (a file left there by an earlier process is replaced) and listens.
    public init(path: String, onAccept: @escaping (IPCChannel) -> Void) throws(UVError) {
        self.onAccept = onAccept
        handle = .allocate(capacity: 1)
        uv_pipe_init(EventLoop.shared.uvLoop, handle, 0)
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
        unlink(path)
        do throws(UVError) {
            try UVError.check(uv_pipe_bind(handle, path), "bind \(path)")
            try UVError.check(uv_listen(asStream(handle), 128, ipcConnectionCallback), "listen \(path)")
        } catch {
            close()
            throw error
        }
    }

    /// Stops accepting. Idempotent.
    public func close() {
        if isClosed { return }
        isClosed = true
        uv_close(asHandle(handle), ipcListenerCloseCallback)
    }

    fileprivate func accept() {
        guard !isClosed else { return }
        let channel = IPCChannel()
        if uv_accept(asStream(handle), asStream(channel.handle)) != 0 {
            channel.close()
            return
        }
        onAccept(channel)
    }
}

/// One write on a pipe; keeps its bytes (and the channel) alive until libuv is done.
@LoopActor
private final class PipeWriteRequest {
    let channel: IPCChannel
    var bytes: [UInt8]
    let completion: (@LoopActor (Bool) -> Void)?
    let request: UnsafeMutablePointer<uv_write_t>

    init(channel: IPCChannel, bytes: [UInt8], completion: (@LoopActor (Bool) -> Void)?) {
        self.channel = channel
        self.bytes = bytes
        self.completion = completion
        request = .allocate(capacity: 1)
    }

    func submit(sending stream: TCPStream?) -> Int32 {
        request.pointee.data = Unmanaged.passRetained(self).toOpaque()
        let pipe = asStream(channel.handle)
        let status = bytes.withUnsafeMutableBytes { raw in
            var buffer = uv_buf_init(raw.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(raw.count))
            if let stream { return uv_write2(request, pipe, &buffer, 1, asStream(stream.handle), ipcWriteCallback) }
            return uv_write(request, pipe, &buffer, 1, ipcWriteCallback)
        }
        if status < 0 { finish(status: status) }
        return status
    }

    func finish(status: Int32) {
        Unmanaged<PipeWriteRequest>.fromOpaque(request.pointee.data).release()
        request.deallocate()
        channel.written(bytes.count, status: status)
        completion?(status >= 0)
    }
}

@LoopActor
private final class PipeConnectRequest {
    let request: UnsafeMutablePointer<uv_connect_t>
    var continuation: CheckedContinuation<Int32, Never>?

    init() {
        request = .allocate(capacity: 1)
        request.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }
}

private func ipcConnectCallback(_ request: UnsafeMutablePointer<uv_connect_t>?, _ status: Int32) {
    let unmanaged = Unmanaged<PipeConnectRequest>.fromOpaque(request!.pointee.data)
    LoopActor.assumeIsolated {
        let connect = unmanaged.takeUnretainedValue()
        let continuation = connect.continuation
        connect.continuation = nil
        connect.request.deallocate()
        unmanaged.release()
        continuation?.resume(returning: status)
    }
}

private func ipcAllocCallback(
    _ handle: UnsafeMutablePointer<uv_handle_t>?, _ suggested: Int, _ buffer: UnsafeMutablePointer<uv_buf_t>?
) {
    let readBuffer = EventLoop.shared.readBuffer
    buffer!.pointee = uv_buf_init(readBuffer.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(readBuffer.count))
}

private func ipcReadCallback(_ handle: UnsafeMutablePointer<uv_stream_t>?, _ count: Int, _ buffer: UnsafePointer<uv_buf_t>?) {
    let channel = Unmanaged<IPCChannel>.fromOpaque(handle!.pointee.data).takeUnretainedValue()
    // nonisolated(unsafe): a pointer libuv passed to this callback, read once here on the loop's
    // thread (the callback's signature carries no isolation the compiler could check).
    nonisolated(unsafe) let base = buffer?.pointee.base
    LoopActor.assumeIsolated((channel, count, base)) { $0.0.didRead($0.1, $0.2) }
}

private func ipcWriteCallback(_ request: UnsafeMutablePointer<uv_write_t>?, _ status: Int32) {
    let write = Unmanaged<PipeWriteRequest>.fromOpaque(request!.pointee.data).takeUnretainedValue()
    LoopActor.assumeIsolated((write, status)) { $0.0.finish(status: $0.1) }
}

private func ipcCloseCallback(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    let unmanaged = Unmanaged<IPCChannel>.fromOpaque(handle!.pointee.data)
    let channel = unmanaged.takeUnretainedValue()
    LoopActor.assumeIsolated(channel) { $0.didClose() }
    let pointer = channel.handle
    unmanaged.release()
    pointer.deallocate()
}

private func ipcConnectionCallback(_ handle: UnsafeMutablePointer<uv_stream_t>?, _ status: Int32) {
    guard status >= 0 else { return }
    let listener = Unmanaged<IPCListener>.fromOpaque(handle!.pointee.data).takeUnretainedValue()
    LoopActor.assumeIsolated { listener.accept() }
}

private func ipcListenerCloseCallback(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    let unmanaged = Unmanaged<IPCListener>.fromOpaque(handle!.pointee.data)
    let pointer = unmanaged.takeUnretainedValue().handle
    unmanaged.release()
    pointer.deallocate()
}
