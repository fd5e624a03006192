import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// Unix-domain sockets' files: opening one for workers to share, telling a stale one from
/// a live one, and reading a descriptor's path.
extension TCPListener {
    /// Opens a unix-domain socket at `path`, listening, for child processes to inherit;
    /// returns its descriptor. Nothing accepts on it here; the caller removes the file.
    public nonisolated static func openSharedSocket(unixPath path: String, permissions: UInt16 = 0o660,
                                                    backlog: Int32 = 1024) throws(UVError) -> Int32 {
        try removeStaleSocket(at: path)
        var address = try unixAddress(path)
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw UVError(code: -errno, operation: "socket") }
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if bound != 0 || chmod(path, mode_t(permissions)) != 0 || listen(descriptor, backlog) != 0 {
            let error = UVError(code: -errno, operation: "bind and listen \(path)")
            Glibc.close(descriptor)
            throw error
        }
        return descriptor
    }

    /// Removes the socket file at `path` when no process listens on it any more (a server
    /// that died leaves its file). A live socket, or a file that is not a socket, stays and
    /// is an error: nothing is taken from under another server.
    nonisolated static func removeStaleSocket(at path: String) throws(UVError) {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }   // nothing there
        guard status.st_mode & S_IFMT == S_IFSOCK else {
            throw UVError(code: -EADDRINUSE, operation: "bind \(path): a file that is not a socket is there")
        }
        var address = try unixAddress(path)
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard probe >= 0 else { throw UVError(code: -errno, operation: "socket") }
        defer { Glibc.close(probe) }
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if connected == 0 { throw UVError(code: -EADDRINUSE, operation: "bind \(path): a server listens there") }
        if errno == ECONNREFUSED { unlink(path) }
    }

    /// The path of a unix-domain socket's descriptor; `nil` for any other kind.
    nonisolated static func unixPath(of descriptor: Int32) -> String? {
        var address = sockaddr_un()
        var length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let status = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard status == 0, address.sun_family == sa_family_t(AF_UNIX) else { return nil }
        return withUnsafeBytes(of: address.sun_path) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    private nonisolated static func unixAddress(_ path: String) throws(UVError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: address.sun_path), !bytes.contains(0) else {
            throw UVError(code: -ENAMETOOLONG, operation: "unix socket path \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        return address
    }
}
