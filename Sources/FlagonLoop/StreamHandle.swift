import CLibUV

/// A new, initialized stream handle: a `uv_tcp_t`, or for a unix-domain socket a
/// `uv_pipe_t` in a block with room for either. Callers keep it typed as TCP and touch only
/// `data`, the first field every handle shares; libuv reads the block as what it is.
@LoopActor
func makeStreamHandle(unixSocket: Bool) -> UnsafeMutablePointer<uv_tcp_t> {
    if unixSocket {
        let size = max(MemoryLayout<uv_tcp_t>.size, MemoryLayout<uv_pipe_t>.size)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        uv_pipe_init(EventLoop.shared.uvLoop, raw.assumingMemoryBound(to: uv_pipe_t.self), 0)
        return raw.assumingMemoryBound(to: uv_tcp_t.self)
    }
    let handle = UnsafeMutablePointer<uv_tcp_t>.allocate(capacity: 1)
    uv_tcp_init(EventLoop.shared.uvLoop, handle)
    return handle
}

/// The pipe a unix-domain handle made by ``makeStreamHandle(unixSocket:)`` is.
func asPipe(_ handle: UnsafeMutablePointer<uv_tcp_t>) -> UnsafeMutablePointer<uv_pipe_t> {
    UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_pipe_t.self)
}
