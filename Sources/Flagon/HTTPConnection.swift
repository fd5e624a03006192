import FlagonHTTP
import FlagonLoop

/// One client connection: parses requests, runs them through the app one at a time (in
/// order, so pipelined responses keep their order), writes the responses, and applies
/// the timeouts and backpressure of ``ServerOptions``.
@LoopActor
final class HTTPConnection: TCPStreamHandler {
    private let stream: TCPStream
    private let server: Server
    // Checked (docs/hot-path.md: skipping the check saved nothing measurable per message).
    private var parser: HTTPRequestParser
    private var queue: [HTTPRequestMessage] = []
    private var busy = false
    private var closing = false
    private var readingPaused = false
    private var peerClosed = false
    private var requestStart: UInt64 = 0
    private var lastActivity: UInt64
    private var idleSeenExpired = false
    private var currentContext: RequestContext?
    /// A parse error met after complete requests: answered once they have been.
    private var deferredFailure: HTTPParseError?
    /// The client's address (`host:port`), when known.
    private(set) lazy var remote: String? = origin?.address ?? stream.remoteAddress?.description
    /// `true` when the peer is one of ``ServerOptions/trustedProxies``.
    private lazy var peerIsTrusted: Bool = {
        // A relayed connection's peer is its origin's (a unix-socket peer's relay names no address).
        if stream.isUnixSocket && origin == nil { return server.options.trustsUnixSocketPeers }
        let networks = server.options.trustedProxies
        guard !networks.isEmpty, var text = remote, let colon = text.lastIndex(of: ":") else { return false }
        text = String(text[..<colon])
        guard let bytes = IPAddressBytes.parse(text) else { return false }
        return networks.contains { $0.contains(bytes) }
    }()
    /// Set when another worker relays this connection (its socket is not the client's).
    let origin: ConnectionOrigin?

    init(stream: TCPStream, server: Server, origin: ConnectionOrigin? = nil) {
        self.stream = stream
        self.server = server
        self.origin = origin
        self.parser = HTTPRequestParser(limits: server.options.limits)
        // A fresh reading: a connection accepted after a long wait must not look idle already.
        self.lastActivity = EventLoop.shared.currentMilliseconds
    }

    func start(initialBytes: [UInt8] = []) {
        stream.handler = self   // the stream keeps its connection until it closes
        stream.startReading()
        if !initialBytes.isEmpty { initialBytes.withUnsafeBytes { received($0) } }
    }

    func streamRead(_ stream: TCPStream, _ bytes: UnsafeRawBufferPointer) { received(bytes) }

    func streamEndOfFile(_ stream: TCPStream) { peerHalfClosed() }

    func streamWritable(_ stream: TCPStream) {
        resumeWriters(true)
        updateReading()
    }

    func streamClosed(_ stream: TCPStream, error: UVError?) {
        resumeWriters(false)
        currentContext?.connectionClosed()
        server.connectionClosed(self)
    }

    private func received(_ bytes: UnsafeRawBufferPointer) {
        let now = EventLoop.shared.nowMilliseconds
        lastActivity = now
        idleSeenExpired = false
        if parser.isIdle { requestStart = now }
        parser.feed(bytes)
        drainParser()
    }

    private func drainParser() {
        while !closing && deferredFailure == nil {
            let event: HTTPRequestParser.Event?
            do {
                event = try parser.next()
            } catch {
                // Requests received before the bad bytes are answered first, in order.
                deferredFailure = error
                break
            }
            guard let event else { break }
            switch event {
            case .continueExpected:
                stream.write(HTTPResponseSerializer.continueResponse)
            case .request(let message):
                queue.append(message)
                if !parser.isIdle { requestStart = EventLoop.shared.nowMilliseconds }
            }
        }
        updateReading()
        processNext()
    }

    private func updateReading() {
        let shouldPause = queue.count >= server.options.maxPipelinedRequests || !stream.isWritable
            || deferredFailure != nil
        if shouldPause && !readingPaused {
            readingPaused = true
            stream.stopReading()
        } else if !shouldPause && readingPaused && !closing {
            readingPaused = false
            stream.startReading()
        }
    }

    private func peerHalfClosed() {
        peerClosed = true
        currentContext?.connectionClosed()
        if !busy && queue.isEmpty { stream.close() }
    }

    private func processNext() {
        guard !busy, !closing else { return }
        if queue.isEmpty {
            if let failure = deferredFailure {
                deferredFailure = nil
                fail(status: failure.status, message: failure.message)
            }
            return
        }
        if let owner = server.otherWorker(for: queue[0].head), handOver(to: owner) { return }
        let message = queue.removeFirst()
        busy = true
        Task { await self.handle(message) }
    }

    /// Gives the connection, with every request read and not yet answered, to the worker
    /// that owns the first one; `false` when that worker cannot be reached (the request is
    /// then answered here). Waits, keeping the connection, until the responses written so
    /// far have left and no request body is half read.
    private func handOver(to owner: Int) -> Bool {
        // Bytes that broke the protocol are answered here, after the requests before them.
        guard deferredFailure == nil, WorkerMesh.shared?.isReachable(owner) == true else { return false }
        guard parser.isBetweenBodies else { return true }   // processNext runs again when the body is complete
        if stream.pendingWriteBytes > 0 {
            busy = true
            Task {
                let deadline = EventLoop.shared.nowMilliseconds + server.options.shutdownTimeout
                while stream.pendingWriteBytes > 0 && !stream.isClosed && EventLoop.shared.nowMilliseconds < deadline {
                    await LoopTimer.sleep(milliseconds: 1)
                }
                busy = false
                if stream.pendingWriteBytes > 0 { return forceClose() }
                processNext()
            }
            return true
        }
        var bytes: [UInt8] = []
        for message in queue { HTTPRequestSerializer.serialize(message, into: &bytes) }
        bytes += parser.takeRemainingBytes()
        queue.removeAll()
        closing = true
        stream.stopReading()
        stream.handler = nil
        if !server.handOver(self, stream: stream, bytes: bytes, to: owner) { stream.close() }
        return true
    }

    private func handle(_ message: HTTPRequestMessage) async {
        var request = Request(method: message.head.method, target: message.head.target, headers: message.head.headers,
                              body: message.body, remoteAddress: remote)
        request.minorVersion = message.head.minorVersion
        request.isSecure = stream.isSecured || origin?.isSecure == true
        if peerIsTrusted {
            let networks = server.options.trustedProxies
            if let client = ForwardedClient(headers: request.headers, isTrusted: { bytes in networks.contains { $0.contains(bytes) } }) {
                request.remoteAddress = client.address
                if let scheme = client.scheme { request.isSecure = scheme == "https" }
            }
        }
        currentContext = request.context
        if peerClosed { request.context.connectionClosed() }
        let response: Response
        do {
            response = try await server.app.respond(to: request)
        } catch {
            response = await server.app.handleError(error, request: request)
        }
        currentContext = nil
        if stream.isClosed { return }
        let keepAlive = message.head.keepAlive && !server.isClosingConnections && !peerClosed
            && !(response.headers.hasToken("close", in: "connection"))
        await write(response, for: message.head, request: request, keepAlive: keepAlive)
        busy = false
        lastActivity = EventLoop.shared.nowMilliseconds
        if closing || stream.isClosed { return }
        if !keepAlive {
            closing = true
            stream.closeGracefully()
            return
        }
        updateReading()
        processNext()
    }

    private func write(_ response: Response, for head: HTTPRequestHead, request: Request, keepAlive: Bool) async {
        var out: [UInt8] = []
        let isHead = head.method == "HEAD"
        if response.status == 101, let upgrade = response.upgrade {
            HTTPResponseSerializer.writeHead(status: 101, headers: response.headers, framing: .none, keepAlive: true,
                                             date: server.dateHeader, into: &out)
            stream.write(out)
            closing = true
            stream.handler = nil
            server.connectionUpgraded(self, stream: stream)
            upgrade(UpgradedConnection(stream: stream, initialBytes: parser.takeRemainingBytes(), request: request))
            return
        }
        switch response.body {
        case .bytes(let body):
            let noBody = HTTPStatus.forbidsBody(response.status)
            HTTPResponseSerializer.writeHead(status: response.status, headers: response.headers,
                                             framing: noBody ? .none : .contentLength(body.count), keepAlive: keepAlive,
                                             date: server.dateHeader, into: &out)
            if !isHead && !noBody {
                if out.count + body.count <= 64 * 1024 {
                    out.append(contentsOf: body)
                    stream.write(out)
                } else {
                    stream.write(out)
                    stream.write(body)
                }
            } else {
                stream.write(out)
            }
        case .stream(let produce):
            let length = response.streamLength
            let chunked = length == nil && head.minorVersion == 1
            let framing: HTTPResponseSerializer.Framing = length.map { .contentLength($0) } ?? (chunked ? .chunked : .none)
            HTTPResponseSerializer.writeHead(status: response.status, headers: response.headers,
                                             framing: framing, keepAlive: keepAlive && (chunked || length != nil),
                                             date: server.dateHeader, into: &out)
            stream.write(out)
            if isHead { return }
            let stream = self.stream
            let writer = BodyWriter(send: { bytes in
                if chunked {
                    var chunk: [UInt8] = []
                    HTTPResponseSerializer.writeChunk(bytes, into: &chunk)
                    stream.write(chunk)
                } else {
                    stream.write(bytes)
                }
            }, waitUntilWritable: { [weak self] in await self?.waitUntilWritable() ?? false })
            do {
                try await produce(writer)
                if chunked {
                    var last: [UInt8] = []
                    HTTPResponseSerializer.writeLastChunk(into: &last)
                    stream.write(last)
                } else if length != nil {
                    // Framed by its length: the caller keeps the connection or closes it.
                } else {
                    closing = true
                    stream.closeGracefully()
                }
            } catch {
                server.app.logger.error("streamed response failed: \(String(describing: error))")
                closing = true
                stream.close()   // the body cannot be completed: the client must see it cut
            }
        }
    }

    private var writableWaiters: [CheckedContinuation<Bool, Never>] = []

    private func waitUntilWritable() async -> Bool {
        if stream.isClosed { return false }
        if stream.isWritable { return true }
        // Resumed by the stream's onWritable or onClose (see start()).
        return await withCheckedContinuation { writableWaiters.append($0) }
    }

    private func resumeWriters(_ value: Bool) {
        let waiters = writableWaiters
        writableWaiters = []
        for waiter in waiters { waiter.resume(returning: value) }
    }

    private func fail(status: Int, message: String) {
        closing = true
        queue.removeAll()
        var out: [UInt8] = []
        let body = Array("\(HTTPStatus.reason(status)): \(message)\n".utf8)
        HTTPResponseSerializer.writeHead(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"],
                                         framing: .contentLength(body.count), keepAlive: false,
                                         date: server.dateHeader, into: &out)
        out.append(contentsOf: body)
        if busy {
            // An earlier request's response is still being produced; its order matters more.
            stream.close()
            return
        }
        stream.write(out)
        stream.closeGracefully()
    }

    func checkTimeouts(now: UInt64) {
        if closing || busy { return }
        let options = server.options
        if parser.isReceivingHead {
            if now - requestStart > options.headerTimeout { fail(status: 408, message: "request head not received in time") }
        } else if !parser.isIdle {
            if now - requestStart > options.bodyTimeout { fail(status: 408, message: "request body not received in time") }
        } else if queue.isEmpty && now - lastActivity > options.keepAliveTimeout {
            // Judged twice, one sweep apart: timers run before the loop reads sockets, so
            // after a stall a request may be waiting unread. The loop reads in between.
            if !idleSeenExpired {
                idleSeenExpired = true
                return
            }
            closing = true
            stream.close()
        }
    }

    func beginShutdown() {
        if !busy && queue.isEmpty && parser.isIdle {
            closing = true
            stream.close()
        }
    }

    func forceClose() {
        closing = true
        stream.close()
    }
}
