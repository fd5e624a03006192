import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// A TCP connection on the loop: reads arrive through ``onRead``; writes are batched until
/// the end of the loop turn and sent with `uv_try_write`, falling back to `uv_write`.
///
/// Writes are never refused here; ``pendingWriteBytes`` and ``isWritable`` let the owner
/// apply backpressure (stop reading, drop, or disconnect), and ``onWritable`` tells it when
/// the queue has drained again.
///
/// ```swift
/// let stream = try await TCPStream.connect(to: SocketAddress(host: "127.0.0.1", port: 5000))
/// stream.onRead = { bytes in print(bytes.count) }
/// stream.startReading()
/// stream.write(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
/// ```
@LoopActor
public final class TCPStream {
    // Properties marked @exclusivity(unchecked) are loop-confined and used per message:
    // they skip Swift's dynamic exclusivity check.
    // nonisolated(unsafe): the pointer itself never changes after init; libuv's C callbacks,
    // which the compiler cannot see as on the loop, read it, and they run only on the loop's thread.
    nonisolated(unsafe) let handle: UnsafeMutablePointer<uv_tcp_t>
    let group: HandleGroup?

    /// Receives the stream's events: the one way they are delivered (without one, the stream
    /// closes itself at end of file). Dropped at close. The closures below are a convenience
    /// that installs a handler holding them.
    @exclusivity(unchecked) public var handler: (any TCPStreamHandler)?

    /// Called with each chunk read; the bytes are valid only during the call.
    public var onRead: ((UnsafeRawBufferPointer) -> Void)? {
        get { (handler as? TCPStreamClosures)?.onRead }
        set { closures(creating: newValue != nil)?.onRead = newValue }
    }

    /// Called when the peer half-closes. When `nil`, the stream closes itself.
    public var onEndOfFile: (() -> Void)? {
        get { (handler as? TCPStreamClosures)?.onEndOfFile }
        set { closures(creating: newValue != nil)?.onEndOfFile = newValue }
    }

    /// Called once, after libuv has closed the stream; carries the error that closed it, if any.
    public var onClose: ((UVError?) -> Void)? {
        get { (handler as? TCPStreamClosures)?.onClose }
        set { closures(creating: newValue != nil)?.onClose = newValue }
    }

    /// Called when the write queue has drained after exceeding ``highWaterMark``.
    public var onWritable: (() -> Void)? {
        get { (handler as? TCPStreamClosures)?.onWritable }
        set { closures(creating: newValue != nil)?.onWritable = newValue }
    }

    private func closures(creating: Bool) -> TCPStreamClosures? {
        if let closures = handler as? TCPStreamClosures { return closures }
        guard creating else { return nil }
        let closures = TCPStreamClosures()
        handler = closures
        return closures
    }

    /// Queued bytes above which ``isWritable`` turns `false`.
    public var highWaterMark: Int {
        get { writeHighWater }
        set { writeHighWater = newValue }
    }
    // Stored apart from the public property, which other modules then read through this
    // module's unchecked access (see ``isClosed``).
    @exclusivity(unchecked) private var writeHighWater = 1 << 20

    @exclusivity(unchecked) var outbox = OutboundBytes()
    var inFlight: WriteRequest?
    @exclusivity(unchecked) private var inFlightBytes = 0
    private var lingerTimer: LoopTimer?
    private var closeError: UVError?
    // The flags together, so that they share one word.
    @exclusivity(unchecked) var closed = false
    @exclusivity(unchecked) private var flushScheduled = false
    @exclusivity(unchecked) private var wasAboveHighWater = false
    var lingering = false
    private var shutdownPending = false
    private var reading = false
    // TLS, when the stream is secured: `outbox` then holds application bytes until the
    // handshake completes, and `sealed` the wire bytes.
    @exclusivity(unchecked) var security: (any StreamSecurity)?
    // Read on every write (pendingWriteBytes); `send(&sealed)` is the only long access, and
    // what it calls touches no other queue (see `send`).
    @exclusivity(unchecked) var sealed = OutboundBytes()
    var closeNotified = false
    var handshakeTimer: LoopTimer?

    /// `true` for a unix-domain socket (a `uv_pipe_t` in the same block): no TCP options,
    /// no peer address.
    public let isUnixSocket: Bool

    init(group: HandleGroup?, unixSocket: Bool = false) {
        self.group = group
        isUnixSocket = unixSocket
        handle = makeStreamHandle(unixSocket: unixSocket)
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
        group?.opened()
    }

    /// Turns TCP keepalive on: the kernel probes a connection idle for `delaySeconds`, and
    /// ends it when the peer is gone without a word (a cable cut, a host that died).
    public func setKeepAlive(delaySeconds: UInt32) {
        guard !closed, !isUnixSocket else { return }
        uv_tcp_keepalive(handle, 1, delaySeconds)
    }

    /// `true` once ``close()`` was called.
    // Computed, so that other modules read the flag through this module's unchecked
    // access: a stored property read directly from another module gets a dynamic
    // exclusivity check whatever its attribute says.
    public var isClosed: Bool { closed }

    /// Bytes queued and not yet handed to the kernel.
    public var pendingWriteBytes: Int { outbox.count + sealed.count + inFlightBytes }

    /// `true` while fewer than ``highWaterMark`` bytes are queued.
    public var isWritable: Bool { pendingWriteBytes < writeHighWater }

    /// The peer's address, when known.
    public var remoteAddress: SocketAddress? {
        if isUnixSocket { return nil }
        return Self.peerAddress(of: handle)
    }

    /// The peer's address. Not isolated: a closure handed to the standard library from
    /// loop-isolated code has its isolation checked at run time on every call.
    private nonisolated static func peerAddress(of handle: UnsafeMutablePointer<uv_tcp_t>) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutableBytes(of: &storage) { raw in
            uv_tcp_getpeername(handle, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length)
        }
        return status == 0 ? SocketAddress(storage: storage) : nil
    }

    /// Starts delivering reads to ``onRead``.
    public func startReading() {
        if closed || reading { return }
        reading = true
        uv_read_start(asStream(handle), loopAllocCallback, loopReadCallback)
    }

    /// Stops reading (backpressure); ``startReading()`` resumes.
    public func stopReading() {
        if closed || !reading { return }
        reading = false
        uv_read_stop(asStream(handle))
    }

    /// Queues bytes; they are sent at the end of this loop turn, together with other writes.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        if closed || shutdownPending { return }
        outbox.append(bytes)
        scheduleFlush()
    }

    /// Queues bytes; they are sent at the end of this loop turn, together with other writes.
    public func write(_ bytes: [UInt8]) {
        if closed || shutdownPending { return }
        bytes.withRawBytes { outbox.append($0) }
        scheduleFlush()
    }

    /// Queues the bytes of a slice; they are sent at the end of this loop turn.
    public func write(_ bytes: ArraySlice<UInt8>) {
        if closed || shutdownPending { return }
        bytes.withBytes { outbox.append(UnsafeRawBufferPointer($0)) }
        scheduleFlush()
    }

    /// Appends `length` bytes that `body` writes in place, all of them, into the buffer it
    /// is given (exactly `length` bytes long); they are sent at the end of this loop turn.
    /// The cheapest way to queue a message whose size is known beforehand.
    ///
    /// ```swift
    /// stream.write(length: 2) { out in out[0] = 0x0D; out[1] = 0x0A }
    /// ```
    public func write(length: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void) {
        if closed || shutdownPending { return }
        outbox.append(length: length, body)
        scheduleFlush()
    }

    /// Appends bytes to the write queue in place (no intermediate array); they are sent at
    /// the end of this loop turn.
    ///
    /// ```swift
    /// stream.write { out in out.append(contentsOf: header); out.append(contentsOf: body) }
    /// ```
    public func write(_ body: (inout [UInt8]) -> Void) {
        if closed || shutdownPending { return }
        var bytes: [UInt8] = []
        body(&bytes)
        bytes.withRawBytes { outbox.append($0) }
        scheduleFlush()
    }

    func scheduleFlush() {
        if !wasAboveHighWater && pendingWriteBytes >= writeHighWater { wasAboveHighWater = true }
        if flushScheduled { return }
        flushScheduled = true
        EventLoop.shared.deferFlush(of: self)
    }

    /// Sends what is queued now rather than at the end of the turn.
    public func flush() {
        flushScheduled = false
        if let security {
            flushSecured(security)
        } else {
            transmit(sealedBytes: false)
        }
    }

    /// Sends the outbox, or the sealed bytes of a secured stream, then what
    /// follows from it: a drained queue, a write left in flight, or a failure.
    func transmit(sealedBytes: Bool) {
        // The queue's access ends with `send`: what follows may read it (pendingWriteBytes).
        let result = sealedBytes ? send(&sealed) : send(&outbox)
        switch result {
        case .drained: finishIfDrained()
        case .inFlight: break
        case .failed(let code): fail(UVError(code: code, operation: "write"))
        }
    }

    /// Hands `bytes` to the kernel without waiting: how many it took (0 when it would block),
    /// or a negative libuv status when the stream failed.
    @inline(__always)
    func tryWrite(_ bytes: UnsafeRawBufferPointer) -> Int {
        var buffer = uv_buf_init(UnsafeMutablePointer(mutating: bytes.baseAddress!.assumingMemoryBound(to: CChar.self)), UInt32(bytes.count))
        let written = uv_try_write(asStream(handle), &buffer, 1)
        return written == Int32(UV_EAGAIN.rawValue) ? 0 : Int(written)
    }

    /// A trivial value (the failure is a libuv status code): returned on every flush.
    enum SendResult { case drained, inFlight, failed(Int32) }

    // Touches nothing but `queue` and the in-flight request: the caller holds `queue` inout.
    func send(_ queue: inout OutboundBytes) -> SendResult {
        if closed || inFlight != nil || queue.isEmpty { return .drained }
        let queued = queue.bytes
        let count = queued.count
        let sent = tryWrite(UnsafeRawBufferPointer(queued))
        if sent < 0 { return .failed(Int32(sent)) }
        if sent == count {
            // Keep a buffer for busy streams; give small ones back (idle connections are many).
            queue.removeAll(keepingCapacity: queue.capacity <= 256 * 1024 && count >= 256)
            return .drained
        }
        let rest = Array(UnsafeRawBufferPointer(rebasing: queued[sent...]))
        queue.removeAll(keepingCapacity: false)
        let request = WriteRequest(stream: self, bytes: rest)
        inFlight = request
        inFlightBytes = rest.count
        let status = request.submit(asStream(handle))
        if status < 0 {
            inFlight = nil
            inFlightBytes = 0
            return .failed(status)
        }
        return .inFlight
    }

    func writeCompleted(_ status: Int32) {
        inFlight = nil
        inFlightBytes = 0
        if status < 0 {
            fail(UVError(code: status, operation: "write"))
            return
        }
        if !outbox.isEmpty || !sealed.isEmpty {
            flush()
        } else {
            finishIfDrained()
        }
    }

    func finishIfDrained() {
        guard pendingWriteBytes == 0 else { return }
        if shutdownPending && !closed && !closeNotified, let security {
            // TLS ends with close_notify, sent before the TCP half-close.
            closeNotified = true
            security.closeNotify()
            if security.hasWireBytes { return flushSecured(security) }
        }
        if wasAboveHighWater {
            wasAboveHighWater = false
            handler?.streamWritable(self)
        }
        if shutdownPending && !closed {
            let request = ShutdownRequest(stream: self)
            if request.submit(asStream(handle)) < 0 { close() }
        }
    }

    /// Sends what is queued, then half-closes (no more writes); reading goes on.
    public func shutdown() {
        if closed || shutdownPending { return }
        shutdownPending = true
        flush()
    }

    /// Sends what is queued, half-closes, then reads and drops what the peer still sends
    /// until it closes too or `lingerMilliseconds` pass; then closes. This avoids a reset
    /// that would discard the last response on the peer's side.
    public func closeGracefully(lingerMilliseconds: UInt64 = 2000) {
        if closed || shutdownPending { return }
        lingering = true   // reads are dropped and the end of file closes (see didRead); the handler stays for the close
        startReading()
        lingerTimer = LoopTimer(group: group) { [self] in close() }
        lingerTimer?.start(afterMilliseconds: lingerMilliseconds)
        shutdown()
    }

    func shutdownCompleted(_ status: Int32) {
        if status < 0 { close() }
    }

    func fail(_ error: UVError) {
        closeError = error
        close()
    }

    /// Closes the stream at once, dropping what is queued. Idempotent.
    public func close() {
        if closed { return }
        closed = true
        lingerTimer?.close()
        lingerTimer = nil
        handshakeTimer?.close()
        handshakeTimer = nil
        outbox.removeAll(keepingCapacity: false)
        sealed.removeAll(keepingCapacity: false)
        uv_close(asHandle(handle), loopStreamCloseCallback)
    }

    func didRead(_ count: Int, _ base: UnsafeMutablePointer<CChar>?) {
        if closed { return }
        if count > 0 {
            if lingering { return }
            if let security { return readSecured(security, UnsafeRawBufferPointer(start: base, count: count)) }
            handler?.streamRead(self, UnsafeRawBufferPointer(start: base, count: count))
        } else if count == Int(UV_EOF.rawValue) {
            if !lingering, let handler { handler.streamEndOfFile(self) } else { close() }
        } else if count < 0 {
            fail(UVError(code: Int32(count), operation: "read"))
        }
    }

    func didClose() {
        let handler = self.handler
        self.handler = nil
        handler?.streamClosed(self, error: closeError)
        group?.closed()
    }
}
