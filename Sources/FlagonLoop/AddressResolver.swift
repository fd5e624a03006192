import CLibUV
#if canImport(Glibc)
import Glibc
#endif

extension SocketAddress {
    /// The addresses of `host` (a DNS name, or an IPv4 or IPv6 literal) on `port`, resolved
    /// on libuv's thread pool (`uv_getaddrinfo`): the loop goes on meanwhile. IPv4 addresses
    /// come first, as most servers listen there.
    ///
    /// ```swift
    /// let addresses = try await SocketAddress.resolve(host: "redis.internal", port: 6379)
    /// ```
    @LoopActor
    public static func resolve(host: String, port: Int) async throws(UVError) -> [SocketAddress] {
        if let literal = try? SocketAddress(host: host, port: port) { return [literal] }
        let request = ResolveRequest()
        let result: Result<[SocketAddress], UVError> = await withCheckedContinuation { continuation in
            request.continuation = continuation
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            hints.ai_family = AF_UNSPEC
            let status = uv_getaddrinfo(EventLoop.shared.uvLoop, request.request, resolverCallback, host, String(port), &hints)
            if status < 0 {
                request.continuation = nil
                request.release()
                continuation.resume(returning: .failure(UVError(code: status, operation: "resolve \(host)")))
            }
        }
        let addresses = try result.get()
        guard !addresses.isEmpty else { throw UVError(code: Int32(UV_EAI_NONAME.rawValue), operation: "resolve \(host)") }
        return addresses.filter { !$0.isIPv6 } + addresses.filter(\.isIPv6)
    }
}

/// One `uv_getaddrinfo` in flight; keeps its continuation until libuv calls back.
@LoopActor
private final class ResolveRequest {
    let request: UnsafeMutablePointer<uv_getaddrinfo_t>
    var continuation: CheckedContinuation<Result<[SocketAddress], UVError>, Never>?

    init() {
        request = .allocate(capacity: 1)
        request.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    func release() {
        Unmanaged<ResolveRequest>.fromOpaque(request.pointee.data).release()
        request.deallocate()
    }
}

private func resolverCallback(_ request: UnsafeMutablePointer<uv_getaddrinfo_t>?, _ status: Int32,
                              _ info: UnsafeMutablePointer<addrinfo>?) {
    let resolve = Unmanaged<ResolveRequest>.fromOpaque(request!.pointee.data).takeUnretainedValue()
    var addresses: [SocketAddress] = []
    var entry = info
    while let current = entry {
        if let address = current.pointee.ai_addr, current.pointee.ai_addrlen <= MemoryLayout<sockaddr_storage>.size {
            var storage = sockaddr_storage()
            withUnsafeMutableBytes(of: &storage) { raw in
                raw.copyMemory(from: UnsafeRawBufferPointer(start: address, count: Int(current.pointee.ai_addrlen)))
            }
            addresses.append(SocketAddress(storage: storage))
        }
        entry = current.pointee.ai_next
    }
    if let info { uv_freeaddrinfo(info) }
    let found = addresses
    LoopActor.assumeIsolated {
        let continuation = resolve.continuation
        resolve.continuation = nil
        resolve.release()
        continuation?.resume(returning: status < 0 ? .failure(UVError(code: status, operation: "resolve")) : .success(found))
    }
}
