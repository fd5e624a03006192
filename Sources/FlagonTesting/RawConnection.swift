import FlagonHTTP
import FlagonLoop

/// A TCP connection to a server under test that sends exact bytes and reads what comes
/// back, with timeouts: for malformed input, slow clients, pipelining and protocol tests.
///
/// ```swift
/// let connection = try await RawConnection.open(port: port)
/// connection.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
/// let response = try await connection.readResponse()
/// ```
@LoopActor
public final class RawConnection {
    /// Bytes received and not yet consumed by a read.
    public private(set) var buffer: [UInt8] = []
    /// `true` once the server closed (or reset) the connection.
    public private(set) var isClosed = false
    private let stream: TCPStream
    private var waiters: [ConditionWaiter] = []

    private init(stream: TCPStream) {
        self.stream = stream
        stream.onRead = { [weak self] bytes in
            self?.buffer.append(contentsOf: bytes)
            self?.wake()
        }
        stream.onEndOfFile = { [weak self] in
            self?.isClosed = true
            self?.wake()
        }
        stream.onClose = { [weak self] _ in
            self?.isClosed = true
            self?.wake()
        }
        stream.startReading()
    }

    /// Connects to `host:port`.
    public static func open(host: String = "127.0.0.1", port: Int) async throws -> RawConnection {
        RawConnection(stream: try await TCPStream.connect(to: SocketAddress(host: host, port: port)))
    }

    /// Connects to the unix-domain socket at `path` (a server's ``ListenAddress/unix(path:permissions:)``).
    public static func open(unixPath path: String) async throws -> RawConnection {
        RawConnection(stream: try await TCPStream.connect(unixPath: path, timeoutMilliseconds: 5000))
    }

    /// Sends bytes.
    public func send(_ bytes: [UInt8]) { stream.write(bytes) }
    /// Sends text as UTF-8.
    public func send(_ text: String) { stream.write(Array(text.utf8)) }
    /// Stops reading from the socket (a slow client); ``resumeReading()`` starts again.
    public func pauseReading() { stream.stopReading() }
    /// Reads again after ``pauseReading()``.
    public func resumeReading() { stream.startReading() }
    /// Sends an HTTP/1.1 request: request line, header fields, empty line, body.
    public func sendRequest(_ method: String, _ target: String, headers: HTTPHeaders, body: [UInt8] = []) {
        var head = "\(method) \(target) HTTP/1.1\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        send(Array((head + "\r\n").utf8) + body)
    }

    /// Drops the first `count` received bytes (a caller that parsed them itself).
    public func consume(_ count: Int) { buffer.removeFirst(min(count, buffer.count)) }

    /// Closes the sending side.
    public func shutdownWrite() { stream.shutdown() }
    /// Closes the connection.
    public func close() { stream.close() }

    /// Rechecks every waiting condition; the satisfied ones finish and leave the list.
    private func wake() {
        waiters.removeAll { $0.recheck() }
    }

    /// Waits until `condition` holds; returns `false` on timeout.
    public func wait(timeout milliseconds: UInt64 = 5000, until condition: @escaping @LoopActor () -> Bool) async -> Bool {
        if condition() { return true }
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let waiter = ConditionWaiter(condition: condition, continuation: continuation)
            waiter.timer = LoopTimer { [weak waiter] in waiter?.finish(false) }
            waiter.timer?.start(afterMilliseconds: milliseconds)
            waiters.append(waiter)
        }
    }

    /// Reads one response (consuming its bytes).
    public func readResponse(isHead: Bool = false, timeout: UInt64 = 5000) async throws -> TestResponse {
        var result: (TestResponse, Int)?
        var failure: (any Error)?
        let done = await wait(timeout: timeout) { [unowned self] in
            do {
                result = try HTTPResponseReader.read(buffer, isHead: isHead, closed: isClosed)
            } catch {
                failure = error
                return true
            }
            return result != nil || isClosed
        }
        if let failure { throw failure }
        guard done else { throw TestClientError.timeout }
        guard let (response, used) = result else { throw TestClientError.connectionClosed(buffer) }
        buffer.removeFirst(used)
        return response
    }

    /// Waits for the server to close; returns `false` on timeout.
    public func waitForClose(timeout: UInt64 = 5000) async -> Bool {
        await wait(timeout: timeout) { [unowned self] in isClosed }
    }
}

@LoopActor
private final class ConditionWaiter {
    let condition: @LoopActor () -> Bool
    let continuation: CheckedContinuation<Bool, Never>
    var timer: LoopTimer?
    private(set) var finished = false

    init(condition: @escaping @LoopActor () -> Bool, continuation: CheckedContinuation<Bool, Never>) {
        self.condition = condition
        self.continuation = continuation
    }

    /// Finishes when the condition holds; returns whether the waiter is done.
    func recheck() -> Bool {
        if !finished && condition() { finish(true) }
        return finished
    }

    func finish(_ result: Bool) {
        if finished { return }
        finished = true
        timer?.close()
        timer = nil
        continuation.resume(returning: result)
    }
}
