import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// A listening socket on the loop: TCP (IPv4, or IPv6 with or without IPv4 on the same
/// socket, optionally `SO_REUSEPORT`) or a unix-domain socket.
///
/// ```swift
/// let listener = try TCPListener(host: "127.0.0.1", port: 0) { stream in
///     stream.onRead = { _ in stream.write(Array("hi".utf8)) }
///     stream.startReading()
/// }
/// print(listener.port)
/// let local = try TCPListener(unixPath: "/run/app.sock") { stream in stream.close() }
/// ```
@LoopActor
public final class TCPListener {
    // nonisolated(unsafe): the pointer itself never changes after init; libuv's C callbacks,
    // which the compiler cannot see as on the loop, read it, and they run only on the loop's thread.
    nonisolated(unsafe) let handle: UnsafeMutablePointer<uv_tcp_t>
    /// `true` for a unix-domain socket (its streams are too).
    public let isUnixSocket: Bool
    /// The unix-domain socket's path; `nil` for TCP.
    public private(set) var path: String?
    /// Set when this listener made the socket file, which it then removes on close.
    private var ownsPath = false
    private let onAccept: (TCPStream) -> Void
    private let group: HandleGroup?
    /// The group that accepted streams are counted in.
    public let streamGroup: HandleGroup?
    /// The bound address (with the real port when port 0 was asked for).
    public private(set) var address: SocketAddress
    /// `true` once ``close()`` was called.
    public private(set) var isClosed = false

    /// Binds and listens. Port 0 picks a free port; read it back from ``port``. An IPv6 host
    /// (`::`) takes IPv4 connections too unless `ipv6Only`.
    public init(
        host: String, port: Int, backlog: Int32 = 1024, reusePort: Bool = false, ipv6Only: Bool = false,
        group: HandleGroup? = nil, onAccept: @escaping (TCPStream) -> Void
    ) throws(UVError) {
        self.onAccept = onAccept
        self.group = group
        self.streamGroup = group
        isUnixSocket = false
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
            let flags = requested.isIPv6 && ipv6Only ? UInt32(UV_TCP_IPV6ONLY.rawValue) : 0
            try UVError.check(requested.withSockaddr { uv_tcp_bind(handle, $0, flags) }, "bind \(requested)")
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

    /// Binds a unix-domain socket at `path` with `permissions` (who may connect: the
    /// file's mode) and listens. A file left there by a process that is gone is replaced;
    /// one that a live server listens on, or that is not a socket, is an error (`EADDRINUSE`).
    /// The file is removed on ``close()``.
    public init(unixPath path: String, permissions: UInt16 = 0o660, backlog: Int32 = 1024,
                group: HandleGroup? = nil, onAccept: @escaping (TCPStream) -> Void) throws(UVError) {
        self.onAccept = onAccept
        self.group = group
        self.streamGroup = group
        isUnixSocket = true
        address = try SocketAddress(host: "0.0.0.0", port: 0)
        handle = makeStreamHandle(unixSocket: true)
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
        group?.opened()
        do throws(UVError) {
            try Self.removeStaleSocket(at: path)
            try UVError.check(uv_pipe_bind(asPipe(handle), path), "bind \(path)")
            self.path = path
            ownsPath = true
            if chmod(path, mode_t(permissions)) != 0 { throw UVError(code: -errno, operation: "chmod \(path)") }
            try UVError.check(uv_listen(asStream(handle), backlog, loopConnectionCallback), "listen \(path)")
        } catch {
            close()
            throw error
        }
    }

    /// Listens on a socket that is already bound and listening (TCP or unix-domain), such
    /// as one a supervisor opened and its workers inherited (``openSharedSocket(host:port:backlog:ipv6Only:)``,
    /// ``openSharedSocket(unixPath:permissions:backlog:)``): every process that listens on it
    /// takes its turn accepting. Closing it leaves a unix socket's file in place.
    public init(descriptor: Int32, group: HandleGroup? = nil, onAccept: @escaping (TCPStream) -> Void) throws(UVError) {
        self.onAccept = onAccept
        self.group = group
        self.streamGroup = group
        let unixPath = Self.unixPath(of: descriptor)
        isUnixSocket = unixPath != nil
        address = try SocketAddress(host: "0.0.0.0", port: 0)
        handle = makeStreamHandle(unixSocket: isUnixSocket)
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
        group?.opened()
        do throws(UVError) {
            if let unixPath {
                path = unixPath
                try UVError.check(uv_pipe_open(asPipe(handle), descriptor), "open listening descriptor \(descriptor)")
            } else {
                try UVError.check(uv_tcp_open(handle, descriptor), "open listening descriptor \(descriptor)")
                address = try Self.localAddress(of: descriptor)
            }
            try UVError.check(uv_listen(asStream(handle), 1024, loopConnectionCallback), "listen on descriptor \(descriptor)")
        } catch {
            close()
            throw error
        }
    }

    /// Opens a TCP socket bound to `host` and `port`, listening, for child processes to
    /// inherit; returns its descriptor and the bound address. Nothing accepts on it here.
    public nonisolated static func openSharedSocket(host: String, port: Int, backlog: Int32 = 1024, ipv6Only: Bool = false)
        throws(UVError) -> (descriptor: Int32, address: SocketAddress) {
        let requested = try SocketAddress(host: host, port: port)
        let descriptor = socket(requested.isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw UVError(code: -errno, operation: "socket") }
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if requested.isIPv6 {
            var only: Int32 = ipv6Only ? 1 : 0
            setsockopt(descriptor, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &only, socklen_t(MemoryLayout<Int32>.size))
        }
        let length = socklen_t(requested.isIPv6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
        if requested.withSockaddr({ bind(descriptor, $0, length) }) != 0 || listen(descriptor, backlog) != 0 {
            let error = UVError(code: -errno, operation: "bind and listen \(requested)")
            Glibc.close(descriptor)
            throw error
        }
        do {
            return (descriptor, try localAddress(of: descriptor))
        } catch {
            Glibc.close(descriptor)
            throw error
        }
    }

    private nonisolated static func localAddress(of descriptor: Int32) throws(UVError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutableBytes(of: &storage) { raw in
            getsockname(descriptor, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length)
        }
        if status != 0 { throw UVError(code: -errno, operation: "getsockname") }
        return SocketAddress(storage: storage)
    }

    /// The port the listener is bound to (0 for a unix-domain socket).
    public var port: Int { isUnixSocket ? 0 : address.port }

    /// Where it listens: `host:port` (IPv6 in brackets) or `unix:PATH`.
    public var endpoint: String { isUnixSocket ? "unix:" + (path ?? "") : "\(address)" }

    /// Stops accepting. Idempotent.
    public func close() {
        if isClosed { return }
        isClosed = true
        if ownsPath, let path { unlink(path) }
        uv_close(asHandle(handle), loopListenerCloseCallback)
    }

    fileprivate func accept() {
        if isClosed { return }
        let stream = TCPStream(group: streamGroup, unixSocket: isUnixSocket)
        if uv_accept(asStream(handle), asStream(stream.handle)) != 0 {
            stream.close()
            return
        }
        if !isUnixSocket { uv_tcp_nodelay(stream.handle, 1) }
        onAccept(stream)
    }

    fileprivate func didClose() {
        group?.closed()
    }
}

private func loopConnectionCallback(_ handle: UnsafeMutablePointer<uv_stream_t>?, _ status: Int32) {
    guard status >= 0 else { return }
    let listener = Unmanaged<TCPListener>.fromOpaque(handle!.pointee.data).takeUnretainedValue()
    LoopActor.assumeIsolated(listener) { $0.accept() }
}

private func loopListenerCloseCallback(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    let unmanaged = Unmanaged<TCPListener>.fromOpaque(handle!.pointee.data)
    let listener = unmanaged.takeUnretainedValue()
    LoopActor.assumeIsolated { listener.didClose() }
    let pointer = listener.handle
    unmanaged.release()
    pointer.deallocate()
}
