import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// Opening streams: to a TCP address, to a unix-domain socket, or as a connected pair.
extension TCPStream {
    /// Two connected unix-domain streams (`socketpair`): what one writes, the other reads.
    public static func unixPair(group: HandleGroup? = nil) throws(UVError) -> (TCPStream, TCPStream) {
        var descriptors: [Int32] = [-1, -1]
        if socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &descriptors) != 0 {
            throw UVError(code: -errno, operation: "socketpair")
        }
        let first = TCPStream(group: group, unixSocket: true), second = TCPStream(group: group, unixSocket: true)
        for (stream, descriptor) in [(first, descriptors[0]), (second, descriptors[1])] {
            let status = uv_pipe_open(asPipe(stream.handle), descriptor)
            if status < 0 {
                first.close()
                second.close()
                throw UVError(code: status, operation: "open socketpair")
            }
        }
        return (first, second)
    }

    /// Opens a connection to the unix-domain socket at `path`; with `timeoutMilliseconds`,
    /// gives up after that long (`ETIMEDOUT`).
    public static func connect(unixPath path: String, group: HandleGroup? = nil,
                               timeoutMilliseconds: UInt64? = nil) async throws(UVError) -> TCPStream {
        let stream = TCPStream(group: group, unixSocket: true)
        let pipe = asPipe(stream.handle)
        return try await stream.connecting(to: path, timeoutMilliseconds: timeoutMilliseconds) { request in
            uv_pipe_connect(request, pipe, path, loopConnectCallback)
            return 0
        }
    }

    /// Opens a connection to `address`; with `timeoutMilliseconds`, gives up after that long
    /// (`ETIMEDOUT`): a peer that drops packets would otherwise keep the caller waiting for
    /// the kernel's own timeout, minutes. With `source`, from that local address (port 0:
    /// any), so that one client can open more connections to one server than one address
    /// has ephemeral ports.
    public static func connect(to address: SocketAddress, from source: SocketAddress? = nil, group: HandleGroup? = nil,
                               timeoutMilliseconds: UInt64? = nil) async throws(UVError) -> TCPStream {
        let stream = TCPStream(group: group)
        if let source {
            let status = source.withSockaddr { uv_tcp_bind(stream.handle, $0, 0) }
            if status < 0 {
                stream.close()
                throw UVError(code: status, operation: "bind \(source)")
            }
        }
        try await stream.connecting(to: "\(address)", timeoutMilliseconds: timeoutMilliseconds) { request in
            address.withSockaddr { uv_tcp_connect(request, stream.handle, $0, loopConnectCallback) }
        }
        uv_tcp_nodelay(stream.handle, 1)
        return stream
    }

    /// Waits for the connect that `start` begins with the request it is given (a status
    /// below 0: it did not begin); after `timeoutMilliseconds` the stream closes, which
    /// cancels the request (`ETIMEDOUT`). On failure the stream is closed.
    @discardableResult
    private func connecting(to name: String, timeoutMilliseconds: UInt64?,
                            start: (UnsafeMutablePointer<uv_connect_t>) -> Int32) async throws(UVError) -> TCPStream {
        var timedOut = false
        let timer = timeoutMilliseconds.map { timeout in
            let timer = LoopTimer { [weak self] in
                timedOut = true
                self?.close()
            }
            timer.start(afterMilliseconds: timeout)
            return timer
        }
        defer { timer?.close() }
        let request = ConnectRequest()
        let result: Result<Void, UVError> = await withCheckedContinuation { continuation in
            request.continuation = continuation
            let status = start(request.request)
            if status < 0 {
                request.continuation = nil
                request.release()
                continuation.resume(returning: .failure(UVError(code: status, operation: "connect")))
            }
        }
        switch result {
        case .success:
            return self
        case .failure(let error):
            close()
            if timedOut { throw UVError(code: Int32(UV_ETIMEDOUT.rawValue), operation: "connect \(name)") }
            throw isUnixSocket ? UVError(code: error.code, operation: "connect \(name)") : error
        }
    }
}
