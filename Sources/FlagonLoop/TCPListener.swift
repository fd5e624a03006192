import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// A listening TCP socket on the loop (IPv4 or IPv6, optionally `SO_REUSEPORT`).
///
/// ```swift
/// let listener = try TCPListener(host: "127.0.0.1", port: 0) { stream in
///     stream.onRead = { _ in stream.write(Array("hi".utf8)) }
///     stream.startReading()
/// }
/// print(listener.port)
/// ```
@LoopActor
public final class TCPListener {
    nonisolated(unsafe) let handle: UnsafeMutablePointer<uv_tcp_t>
    private let onAccept: (TCPStream) -> Void
    private let group: HandleGroup?
    /// The group that accepted streams are counted in.
    public let streamGroup: HandleGroup?
    /// The bound address (with the real port when port 0 was asked for).
    public private(set) var address: SocketAddress
    /// `true` once ``close()`` was called.
    public private(set) var isClosed = false

    /// Binds and listens. Port 0 picks a free port; read it back from ``port``.
    public init(
        host: String, port: Int, backlog: Int32 = 1024, reusePort: Bool = false,
        group: HandleGroup? = nil, onAccept: @escaping (TCPStream) -> Void
    ) throws(UVError) {
        self.onAccept = onAccept
        self.group = group
        self.streamGroup = group
        let requested = try SocketAddress(host: host, port: port)
        address = requested
        handle = .allocate(capacity: 1)
        uv_tcp_init_ex(EventLoop.shared.uvLoop, handle, UInt32(requested.isIPv6 ? AF_INET6 : AF_INET))
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
        group?.opened()
        do throws(UVError) {
            if reusePort {
                var descriptor = uv_os_fd_t()
                try UVError.check(uv_fileno(asHandle(handle), &descriptor), "fileno")
                var one: Int32 = 1
                if setsockopt(descriptor, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size)) != 0 {
                    throw UVError(code: -errno, operation: "setsockopt SO_REUSEPORT")
                }
            }
            try UVError.check(requested.withSockaddr { uv_tcp_bind(handle, $0, 0) }, "bind \(requested)")
            try UVError.check(uv_listen(asStream(handle), backlog, loopConnectionCallback), "listen \(requested)")
            var storage = sockaddr_storage()
            var length = Int32(MemoryLayout<sockaddr_storage>.size)
            let status = withUnsafeMutableBytes(of: &storage) { raw in
                uv_tcp_getsockname(handle, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length)
            }
            try UVError.check(status, "getsockname")
            address = SocketAddress(storage: storage)
        } catch {
            close()
            throw error
        }
    }

    /// The port the listener is bound to.
    public var port: Int { address.port }

    /// Stops accepting. Idempotent.
    public func close() {
        if isClosed { return }
        isClosed = true
        uv_close(asHandle(handle), loopListenerCloseCallback)
    }

    fileprivate func accept() {
        if isClosed { return }
        let stream = TCPStream(group: streamGroup)
        if uv_accept(asStream(handle), asStream(stream.handle)) != 0 {
            stream.close()
            return
        }
        uv_tcp_nodelay(stream.handle, 1)
        onAccept(stream)
    }

    fileprivate func didClose() {
        group?.closed()
    }
}

private func loopConnectionCallback(_ handle: UnsafeMutablePointer<uv_stream_t>?, _ status: Int32) {
    guard status >= 0 else { return }
    let listener = Unmanaged<TCPListener>.fromOpaque(handle!.pointee.data).takeUnretainedValue()
    LoopActor.assumeIsolated { listener.accept() }
}

private func loopListenerCloseCallback(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    let unmanaged = Unmanaged<TCPListener>.fromOpaque(handle!.pointee.data)
    let listener = unmanaged.takeUnretainedValue()
    LoopActor.assumeIsolated { listener.didClose() }
    let pointer = listener.handle
    unmanaged.release()
    pointer.deallocate()
}
