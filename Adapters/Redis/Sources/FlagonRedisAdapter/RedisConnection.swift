import FlagonLoop

/// One connection to redis-server over a ``TCPStream`` on the loop, speaking RESP2:
/// commands with their replies in order, or, once subscribed, pub/sub messages. (Redis keeps
/// a subscribed connection for pub/sub only, so the adapter uses one of each, as Node does.)
///
/// ```swift
/// let redis = try await RedisConnection.connect(host: "127.0.0.1", port: 6379)
/// _ = try await redis.command("PUBLISH", "socket.io#/#", payload)
/// ```
@LoopActor
public final class RedisConnection: TCPStreamHandler {
    /// Why a command did not get its reply.
    public enum Failure: Error, Sendable, Equatable {
        /// The connection closed (or was never open).
        case closed
        /// Too many commands waiting for replies (see ``maxPendingReplies``).
        case tooManyPending
        /// redis-server answered with an error.
        case server(String)
        /// The bytes from the server were not RESP.
        case protocolError
        /// A reply did not come within ``replyTimeout``: the link is taken as dead and closed.
        case timedOut
    }

    /// Milliseconds a reply may take before the connection is taken as dead and closed, and
    /// every command waiting fails with `.timedOut` (default 5,000).
    public var replyTimeout: UInt64 = 5000
    /// Milliseconds without any traffic after which a `PING` checks the link (default 2,000):
    /// a link that went silent (no FIN, no RST) is noticed within this plus ``replyTimeout``
    /// plus two check intervals (half a second each): 8 s by default.
    public var idlePing: UInt64 = 2000

    /// A pub/sub message: the channel it was published on and its payload (and, for a
    /// pattern subscription, the pattern that matched).
    public struct Message: Sendable, Equatable {
        public var channel: String
        public var payload: [UInt8]
        public var pattern: String?
    }

    /// Commands that may wait for replies at once; more fail at once with `.tooManyPending`.
    public var maxPendingReplies = 10_000
    /// Receives pub/sub messages.
    public var onMessage: (@LoopActor (Message) -> Void)?
    /// When set, subscription confirmations (`ssubscribe`, `sunsubscribe`, … with their
    /// channel) come here instead of answering waiting commands, and so does a redirection
    /// (`MOVED`, `ASK`) or `CROSSSLOT` error: for a connection to a Redis Cluster node, which
    /// may end a shard channel's subscription by itself when its slot moves. Subscribe with
    /// `send(_:replies: 0)` then.
    public var onSubscriptionEvent: (@LoopActor (_ kind: String, _ channel: String) -> Void)?
    /// With ``onSubscriptionEvent``: a redirection or slot error answering a subscription.
    public var onSubscriptionError: (@LoopActor (String) -> Void)?
    /// Called once when the connection ends.
    public var onClose: (@LoopActor () -> Void)?
    /// `true` until the connection ends.
    public private(set) var isOpen = true

    private let stream: TCPStream
    private var parser = RESPParser()
    private var pending: [Waiting] = []
    /// When each command waiting in `pending` was sent (same positions).
    private var sentAt: [UInt64] = []
    private var pendingHead = 0
    private var lastTraffic: UInt64 = 0
    private var healthTimer: LoopTimer?

    /// What waits for a reply: a caller, or nothing (a command sent without waiting, whose
    /// error replies are counted).
    private enum Waiting {
        case caller(CheckedContinuation<Result<RESPValue, Failure>, Never>)
        case callback(@LoopActor (Result<RESPValue, Failure>) -> Void)
        case nobody
    }

    /// Error replies to commands sent with ``send(_:)``.
    public private(set) var unansweredErrors = 0

    private init(stream: TCPStream) {
        self.stream = stream
    }

    /// Connects to redis-server at an IP literal, giving up after `timeoutMilliseconds` (default 5 s).
    public static func connect(host: String, port: Int, timeoutMilliseconds: UInt64 = 5000) async throws(UVError) -> RedisConnection {
        try await connect(to: SocketAddress(host: host, port: port), timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Connects to redis-server at `address`, giving up after `timeoutMilliseconds` (default 5 s);
    /// with `security` (TLS), every byte goes through it, the first commands waiting for its handshake.
    public static func connect(to address: SocketAddress, timeoutMilliseconds: UInt64 = 5000,
                               security: (any StreamSecurity)? = nil) async throws(UVError) -> RedisConnection {
        let stream = try await TCPStream.connect(to: address, timeoutMilliseconds: timeoutMilliseconds)
        if let security { stream.secure(with: security, handshakeTimeoutMilliseconds: timeoutMilliseconds) }
        return start(stream)
    }

    /// Connects to redis-server's unix-domain socket at `path`.
    public static func connect(unixPath path: String, timeoutMilliseconds: UInt64 = 5000) async throws(UVError) -> RedisConnection {
        start(try await TCPStream.connect(unixPath: path, timeoutMilliseconds: timeoutMilliseconds))
    }

    private static func start(_ stream: TCPStream) -> RedisConnection {
        let connection = RedisConnection(stream: stream)
        stream.handler = connection   // the stream keeps its connection until it closes
        stream.setKeepAlive(delaySeconds: 10)
        stream.startReading()
        connection.startHealthChecks()
        return connection
    }

    /// Sends a command of text arguments and returns its reply.
    public func command(_ arguments: String...) async throws(Failure) -> RESPValue {
        try await command(arguments.map { Array($0.utf8) })
    }

    /// Sends a command whose arguments are bytes and returns its reply (an error reply throws).
    public func command(_ arguments: [[UInt8]]) async throws(Failure) -> RESPValue {
        guard isOpen else { throw .closed }
        guard pending.count - pendingHead < maxPendingReplies else { throw .tooManyPending }
        let result: Result<RESPValue, Failure> = await withCheckedContinuation { continuation in
            enqueue(.caller(continuation))
            stream.write(RESPWriter.command(arguments))
        }
        let reply = try result.get()
        if case .error(let message) = reply { throw .server(message) }
        return reply
    }

    /// Sends a command without waiting for its reply (`PUBLISH` of a broadcast); `false` when
    /// it could not be sent (closed, or too many replies pending). `replies` is how many
    /// replies the command gets (one per channel for `SUBSCRIBE`/`UNSUBSCRIBE`).
    @discardableResult
    public func send(_ arguments: [[UInt8]], replies: Int = 1) -> Bool {
        guard isOpen, pending.count - pendingHead + replies <= maxPendingReplies else { return false }
        for _ in 0..<replies { enqueue(.nobody) }
        stream.write(RESPWriter.command(arguments))
        return true
    }

    /// Sends a command and calls `reply` with its reply (an error reply as `.server`), in the
    /// order the commands were sent; `false` (and `reply` never called) when it could not be sent.
    @discardableResult
    public func send(_ arguments: [[UInt8]], reply: @escaping @LoopActor (Result<RESPValue, Failure>) -> Void) -> Bool {
        guard isOpen, pending.count - pendingHead < maxPendingReplies else { return false }
        enqueue(.callback(reply))
        stream.write(RESPWriter.command(arguments))
        return true
    }

    /// Hands what was sent in this turn to the kernel now rather than at the end of the turn:
    /// a subscription then leaves before the replies that the same turn writes to clients
    /// (Redis may still read another connection's command first).
    public func flushNow() {
        if isOpen { stream.flush() }
    }

    private func enqueue(_ waiting: Waiting) {
        pending.append(waiting)
        sentAt.append(EventLoop.shared.nowMilliseconds)
    }

    // MARK: Health

    /// Twice a second: a reply older than ``replyTimeout`` closes the link; a link idle for
    /// ``idlePing`` gets a `PING` (answered on a subscribed connection too).
    private func startHealthChecks() {
        lastTraffic = EventLoop.shared.nowMilliseconds
        let timer = LoopTimer { [weak self] in self?.checkHealth() }
        timer.start(afterMilliseconds: 500, repeatMilliseconds: 500)
        timer.unref()
        healthTimer = timer
    }

    private func checkHealth() {
        guard isOpen else { return }
        let now = EventLoop.shared.nowMilliseconds
        if pendingHead < pending.count, now - sentAt[pendingHead] > replyTimeout {
            fail(.timedOut)
            stream.close()
            return
        }
        if pendingHead == pending.count, now - lastTraffic > idlePing {
            lastTraffic = now
            send([Array("PING".utf8)])
        }
    }

    /// Bytes written but not yet taken by the kernel.
    public var pendingWriteBytes: Int { stream.pendingWriteBytes }

    /// Subscribes to a channel (one per command: each confirmation is one reply). From then
    /// on the connection carries pub/sub only.
    public func subscribe(_ channel: String) async throws(Failure) {
        _ = try await command("SUBSCRIBE", channel)
    }

    /// Subscribes to a pattern (`socket.io#/chat#*`).
    public func subscribe(pattern: String) async throws(Failure) {
        _ = try await command("PSUBSCRIBE", pattern)
    }

    /// Unsubscribes from a channel.
    public func unsubscribe(_ channel: String) async throws(Failure) {
        _ = try await command("UNSUBSCRIBE", channel)
    }

    /// Closes the connection; commands still waiting fail with `.closed`.
    public func close() {
        stream.close()
    }

    /// Sends what is queued, then closes (what Redis answers meanwhile is dropped).
    public func closeAfterFlush() {
        stream.closeGracefully(lingerMilliseconds: 1000)
    }

    // MARK: Stream events

    public func streamRead(_ stream: TCPStream, _ bytes: UnsafeRawBufferPointer) {
        lastTraffic = EventLoop.shared.nowMilliseconds
        parser.append(bytes)
        do {
            while let reply = try parser.next() { received(reply) }
        } catch {
            fail(.protocolError)
            stream.close()
        }
    }

    public func streamEndOfFile(_ stream: TCPStream) { stream.close() }

    public func streamWritable(_ stream: TCPStream) {}

    /// Why the stream closed, when an error closed it (a refused TLS handshake, a reset).
    public private(set) var closeReason: String?

    public func streamClosed(_ stream: TCPStream, error: UVError?) {
        if let error { closeReason = error.operation.hasPrefix("TLS") ? error.operation : "\(error)" }
        fail(.closed)
    }

    /// A pub/sub message, or the reply to the oldest command waiting.
    private func received(_ reply: RESPValue) {
        if let onSubscriptionEvent, let event = Self.subscriptionEvent(reply) {
            onSubscriptionEvent(event.kind, event.channel)
            return
        }
        if let onSubscriptionError, case .error(let message) = reply,
           message.hasPrefix("MOVED ") || message.hasPrefix("ASK ") || message.hasPrefix("CROSSSLOT") {
            onSubscriptionError(message)
            return
        }
        if let items = reply.elements, let kind = items.first?.text {
            if kind == "message" || kind == "smessage", items.count == 3, let channel = items[1].text, let payload = items[2].bytes {
                onMessage?(Message(channel: channel, payload: payload, pattern: nil))
                return
            }
            if kind == "pmessage", items.count == 4, let pattern = items[1].text, let channel = items[2].text,
               let payload = items[3].bytes {
                onMessage?(Message(channel: channel, payload: payload, pattern: pattern))
                return
            }
        }
        guard pendingHead < pending.count else { return }   // an unrequested reply: nothing waits for it
        let waiting = pending[pendingHead]
        pendingHead += 1
        if pendingHead == pending.count {
            pending.removeAll(keepingCapacity: true)
            sentAt.removeAll(keepingCapacity: true)
            pendingHead = 0
        }
        switch waiting {
        case .caller(let continuation): continuation.resume(returning: .success(reply))
        case .callback(let callback):
            if case .error(let message) = reply { callback(.failure(.server(message))) } else { callback(.success(reply)) }
        case .nobody: if case .error = reply { unansweredErrors += 1 }
        }
    }

    private static let subscriptionKinds: Set<String> = ["subscribe", "unsubscribe", "ssubscribe", "sunsubscribe", "psubscribe", "punsubscribe"]

    /// A subscription confirmation: `[kind, channel, count]`.
    private static func subscriptionEvent(_ reply: RESPValue) -> (kind: String, channel: String)? {
        guard let items = reply.elements, items.count == 3, let kind = items[0].text, subscriptionKinds.contains(kind),
              let channel = items[1].text
        else { return nil }
        return (kind, channel)
    }

    private func fail(_ failure: Failure) {
        guard isOpen else { return }
        isOpen = false
        healthTimer?.close()
        healthTimer = nil
        let waiting = pending[pendingHead...]
        pending = []
        sentAt = []
        pendingHead = 0
        for item in waiting {
            switch item {
            case .caller(let continuation): continuation.resume(returning: .failure(failure))
            case .callback(let callback): callback(.failure(failure))
            case .nobody: break
            }
        }
        let callback = onClose
        onClose = nil
        onMessage = nil
        onSubscriptionEvent = nil
        onSubscriptionError = nil
        callback?()
    }
}
