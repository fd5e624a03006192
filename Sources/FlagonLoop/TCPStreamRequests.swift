import CLibUV

// The libuv requests of a TCPStream in flight (a write, a shutdown, a connect) and the
// C callbacks through which libuv reports on its streams.

/// One `uv_write` in flight; keeps its bytes alive until libuv is done with them.
@LoopActor
final class WriteRequest {
    let stream: TCPStream
    var bytes: [UInt8]
    let request: UnsafeMutablePointer<uv_write_t>

    init(stream: TCPStream, bytes: [UInt8]) {
        self.stream = stream
        self.bytes = bytes
        request = .allocate(capacity: 1)
    }

    func submit(_ handle: UnsafeMutablePointer<uv_stream_t>) -> Int32 {
        request.pointee.data = Unmanaged.passRetained(self).toOpaque()
        let status = bytes.withMutableRawBytes { raw in
            var buffer = uv_buf_init(raw.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(raw.count))
            return uv_write(request, handle, &buffer, 1, loopWriteCallback)
        }
        if status < 0 { finish() }
        return status
    }

    func finish() {
        Unmanaged<WriteRequest>.fromOpaque(request.pointee.data).release()
        request.deallocate()
    }
}

@LoopActor
final class ShutdownRequest {
    let stream: TCPStream
    let request: UnsafeMutablePointer<uv_shutdown_t>

    init(stream: TCPStream) {
        self.stream = stream
        request = .allocate(capacity: 1)
    }

    func submit(_ handle: UnsafeMutablePointer<uv_stream_t>) -> Int32 {
        request.pointee.data = Unmanaged.passRetained(self).toOpaque()
        let status = uv_shutdown(request, handle, loopShutdownCallback)
        if status < 0 { finish() }
        return status
    }

    func finish() {
        Unmanaged<ShutdownRequest>.fromOpaque(request.pointee.data).release()
        request.deallocate()
    }
}

@LoopActor
final class ConnectRequest {
    let request: UnsafeMutablePointer<uv_connect_t>
    var continuation: CheckedContinuation<Result<Void, UVError>, Never>?

    init() {
        request = .allocate(capacity: 1)
        request.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    func release() {
        Unmanaged<ConnectRequest>.fromOpaque(request.pointee.data).release()
        request.deallocate()
    }
}

func loopAllocCallback(
    _ handle: UnsafeMutablePointer<uv_handle_t>?, _ suggested: Int, _ buffer: UnsafeMutablePointer<uv_buf_t>?
) {
    let readBuffer = EventLoop.shared.readBuffer
    buffer!.pointee = uv_buf_init(readBuffer.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(readBuffer.count))
}

func loopReadCallback(
    _ handle: UnsafeMutablePointer<uv_stream_t>?, _ count: Int, _ buffer: UnsafePointer<uv_buf_t>?
) {
    let stream = Unmanaged<TCPStream>.fromOpaque(handle!.pointee.data).takeUnretainedValue()
    // nonisolated(unsafe): a pointer libuv passed to this callback, read once here on the loop's
    // thread (the callback's signature carries no isolation the compiler could check).
    nonisolated(unsafe) let base = buffer?.pointee.base
    LoopActor.assumeIsolated((stream, count, base)) { $0.0.didRead($0.1, $0.2) }
}

func loopWriteCallback(_ request: UnsafeMutablePointer<uv_write_t>?, _ status: Int32) {
    let write = Unmanaged<WriteRequest>.fromOpaque(request!.pointee.data).takeUnretainedValue()
    LoopActor.assumeIsolated((write, status)) { write, status in
        let stream = write.stream
        write.finish()
        stream.writeCompleted(status)
    }
}

func loopShutdownCallback(_ request: UnsafeMutablePointer<uv_shutdown_t>?, _ status: Int32) {
    let shutdown = Unmanaged<ShutdownRequest>.fromOpaque(request!.pointee.data).takeUnretainedValue()
    LoopActor.assumeIsolated((shutdown, status)) { shutdown, status in
        let stream = shutdown.stream
        shutdown.finish()
        stream.shutdownCompleted(status)
    }
}

func loopConnectCallback(_ request: UnsafeMutablePointer<uv_connect_t>?, _ status: Int32) {
    let connect = Unmanaged<ConnectRequest>.fromOpaque(request!.pointee.data).takeUnretainedValue()
    LoopActor.assumeIsolated {
        let continuation = connect.continuation
        connect.continuation = nil
        connect.release()
        if status < 0 {
            continuation?.resume(returning: .failure(UVError(code: status, operation: "connect")))
        } else {
            continuation?.resume(returning: .success(()))
        }
    }
}

func loopStreamCloseCallback(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    let unmanaged = Unmanaged<TCPStream>.fromOpaque(handle!.pointee.data)
    let stream = unmanaged.takeUnretainedValue()
    LoopActor.assumeIsolated(stream) { $0.didClose() }
    let pointer = stream.handle
    unmanaged.release()
    pointer.deallocate()
}
