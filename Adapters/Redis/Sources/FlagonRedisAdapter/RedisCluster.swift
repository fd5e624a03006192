import Flagon
import FlagonLoop
import FlagonSocketIO
import Logging

/// This process's link to a Socket.IO cluster on Redis: one connection that publishes and
/// asks, one that receives (Redis keeps a subscribed connection for pub/sub only), shared by
/// the adapters of every namespace. It survives Redis restarts: local delivery goes on while
/// Redis is away, publishes fail and are counted, and it reconnects with backoff and
/// subscribes again by itself.
///
/// ```swift
/// let cluster = try await RedisCluster.connect(RedisAdapterOptions(url: "redis://127.0.0.1:6379"))
/// let sio = SocketIOServer(adapter: cluster.makeAdapter)
/// sio.attach(to: app)
/// app.onShutdown { cluster.close() }
/// ```
@LoopActor
public final class RedisCluster: ClusterTransport {
    /// The settings.
    public let options: RedisAdapterOptions
    /// This server's id (`uid` in the adapter's messages).
    public let serverID: String
    /// `true` while both connections to Redis are up.
    public private(set) var isConnected = false
    /// What went through Redis, and what did not.
    public private(set) var statistics = RedisClusterStatistics()

    let endpoint: RedisEndpoint
    private var publisher: RedisConnection?
    private var subscriber: RedisConnection?
    /// Who receives the messages of each subscribed channel and pattern.
    private var channelOwners: [String: WeakAdapter] = [:]
    private var patternOwners: [String: WeakAdapter] = [:]
    private var pendingSubscribe: Set<String> = []
    private var pendingUnsubscribe: Set<String> = []
    private var flushScheduled = false
    private var reconnectTimer: LoopTimer?
    private var nextDelay: UInt64
    private var closed = false
    private var connecting = false
    /// With sharded pub/sub: the translation to `createShardedAdapter`'s messages and channels.
    private var sharded: ShardedDialect?

    private typealias WeakAdapter = WeakClusterAdapterReference

    private init(options: RedisAdapterOptions, endpoint: RedisEndpoint) {
        self.options = options
        self.endpoint = endpoint
        self.serverID = options.serverID ?? RedisCluster.randomID(length: 6)
        self.nextDelay = options.reconnectDelay
        sharded = options.sharded.map { ShardedDialect(prefix: options.prefix, mode: $0, uid: serverID) }
    }

    /// Connects to Redis. Throws when it cannot be reached, unless
    /// ``RedisAdapterOptions/startWithoutRedis`` is set: then the cluster starts alone and
    /// keeps trying.
    public static func connect(_ options: RedisAdapterOptions) async throws(RedisClusterError) -> RedisCluster {
        var endpoint = try RedisEndpoint(url: options.url)
        endpoint.tls = options.tls
        let cluster = RedisCluster(options: options, endpoint: endpoint)
        do {
            try await cluster.openConnections()
        } catch {
            guard options.startWithoutRedis else { throw error }
            options.logger.warning("\(error); serving this process alone until Redis answers")
            cluster.scheduleReconnect()
        }
        return cluster
    }

    /// Makes the adapter of a namespace: pass it to ``SocketIOServer/init(options:sessions:manageSession:adapter:)``.
    public func makeAdapter(_ namespace: Namespace) -> any SocketIOAdapter {
        ClusterAdapter(namespace: namespace, transport: self)
    }

    /// Leaves the cluster: closes both connections (what is queued for Redis is sent first)
    /// and stops reconnecting.
    public func close() {
        closed = true
        reconnectTimer?.close()
        reconnectTimer = nil
        isConnected = false
        publisher?.closeAfterFlush()
        subscriber?.close()
        publisher = nil
        subscriber = nil
    }

    // MARK: Used by the adapters

    public var prefix: String { options.prefix }
    // Sharded pub/sub has no patterns, and answers on the requester's channel only.
    public var routing: ClusterRouting { sharded == nil ? options.routing : .targeted }
    public var requestsTimeout: UInt64 { options.requestsTimeout }
    public var publishOnSpecificResponseChannel: Bool { sharded != nil || options.publishOnSpecificResponseChannel }

    /// Publishes a message; `false` (and counted) when Redis is away or too far behind.
    @discardableResult
    public func publish(_ channel: String, _ payload: [UInt8]) -> Bool {
        var command = "PUBLISH", channel = channel, payload = payload
        if sharded != nil {
            do {
                guard let translated = try sharded?.outgoing(channel: channel, payload: payload) else { return true }
                (command, channel, payload) = ("SPUBLISH", translated.channel, translated.payload)
            } catch {
                ignored("cannot be published sharded: \(error.message)", on: channel)
                return false
            }
        }
        guard let publisher, isConnected, publisher.pendingWriteBytes < options.maxPendingBytes,
              publisher.send([Array(command.utf8), Array(channel.utf8), payload])
        else {
            statistics.publishFailures += 1
            return false
        }
        statistics.published += 1
        return true
    }

    /// Sends a command without waiting for its reply; `false` when Redis is away or too far behind.
    @discardableResult
    func sendCommand(_ arguments: [[UInt8]]) -> Bool {
        guard let publisher, isConnected, publisher.pendingWriteBytes < options.maxPendingBytes else { return false }
        return publisher.send(arguments)
    }

    /// Sends a command; `reply` gets its reply, in order. `false` (and no reply) when Redis is
    /// away or too far behind.
    @discardableResult
    func sendCommand(_ arguments: [[UInt8]], reply: @escaping @LoopActor (Result<RESPValue, RedisConnection.Failure>) -> Void) -> Bool {
        guard let publisher, isConnected, publisher.pendingWriteBytes < options.maxPendingBytes else { return false }
        return publisher.send(arguments, reply: reply)
    }

    /// Sends a command and waits for its reply; `nil` when Redis is away or answered an error.
    func command(_ arguments: [[UInt8]]) async -> RESPValue? {
        guard let publisher, isConnected else { return nil }
        return try? await publisher.command(arguments)
    }

    /// Waits until Redis has handled every command sent so far (before a shutdown: the
    /// states of the sockets it closed are saved). `false` when Redis is away.
    @discardableResult
    public func flush() async -> Bool {
        await command([Array("PING".utf8)]) != nil
    }

    /// How many connections subscribe to a channel (the number of servers of a namespace);
    /// `nil` when Redis cannot tell.
    public func subscriberCount(_ channel: String) async -> Int? {
        guard let publisher, isConnected else { return nil }
        var question = ["PUBSUB", "NUMSUB", channel]
        if let sharded {
            guard let servers = sharded.serversChannel(for: channel) else { return nil }
            question = ["PUBSUB", "SHARDNUMSUB", servers]
        }
        guard let reply = try? await publisher.command(question.map { Array($0.utf8) }), let items = reply.elements,
              items.count == 2, let count = items[1].integer
        else { return nil }
        return Int(count)
    }

    /// Starts delivering a channel's messages to an adapter.
    public func subscribe(_ channel: String, for adapter: ClusterAdapter) {
        channelOwners[channel] = WeakAdapter(adapter: adapter)
        guard let followed = followedChannel(channel) else { return }
        if pendingUnsubscribe.remove(followed) == nil { pendingSubscribe.insert(followed) }
        scheduleFlush()
    }

    /// Stops delivering a channel's messages.
    public func unsubscribe(_ channel: String) {
        guard channelOwners.removeValue(forKey: channel) != nil, let followed = followedChannel(channel) else { return }
        if pendingSubscribe.remove(followed) == nil { pendingUnsubscribe.insert(followed) }
        scheduleFlush()
    }

    /// The Redis channel that carries an adapter's channel: itself, or with sharded pub/sub
    /// its shard channel (`nil`: none of its own, such as requests).
    private func followedChannel(_ channel: String) -> String? {
        guard let sharded else { return channel }
        return sharded.shardChannel(subscribing: channel)
    }

    private var subscribeCommands: (subscribe: String, unsubscribe: String) {
        sharded == nil ? ("SUBSCRIBE", "UNSUBSCRIBE") : ("SSUBSCRIBE", "SUNSUBSCRIBE")
    }

    /// Delivers the messages of every channel that matches a pattern to an adapter.
    public func subscribe(pattern: String, for adapter: ClusterAdapter) {
        patternOwners[pattern] = WeakAdapter(adapter: adapter)
        if isConnected { subscriber?.send([Array("PSUBSCRIBE".utf8), Array(pattern.utf8)]) }
    }

    /// Whether a channel is subscribed (for tests and statistics).
    func isSubscribed(_ channel: String) -> Bool { channelOwners[channel] != nil }

    /// How many channels are subscribed.
    public var subscribedChannelCount: Int { channelOwners.count }

    /// Counts a message that was not understood.
    public func ignored(_ why: String, on channel: String) {
        statistics.ignoredMessages += 1
        let count = statistics.ignoredMessages
        if count <= 10 || count.isMultiple(of: 1000) {
            options.logger.warning("ignored a message on \(channel): \(why) (\(count) ignored so far)")
        }
    }

    // MARK: Subscriptions

    /// Subscription changes of one turn go out as one SUBSCRIBE and one UNSUBSCRIBE.
    private func scheduleFlush() {
        guard !flushScheduled else { return }
        flushScheduled = true
        EventLoop.shared.atEndOfTurn { [weak self] in LoopActor.assumeIsolated { self?.flushSubscriptions() } }
    }

    private func flushSubscriptions() {
        flushScheduled = false
        let adding = pendingSubscribe
        let removing = pendingUnsubscribe
        pendingSubscribe = []
        pendingUnsubscribe = []
        guard isConnected, let subscriber else { return }   // a reconnection subscribes to everything owned
        sendInChunks(subscribeCommands.subscribe, adding, on: subscriber)
        sendInChunks(subscribeCommands.unsubscribe, removing, on: subscriber)
    }

    private func sendInChunks(_ command: String, _ channels: some Collection<String>, on connection: RedisConnection) {
        var chunk: [[UInt8]] = []
        // Shard channels one by one: in a Redis Cluster, one SSUBSCRIBE takes one slot's.
        let most = sharded == nil ? 1000 : 1
        for channel in channels {
            chunk.append(Array(channel.utf8))
            if chunk.count == most {
                send(chunk)
                chunk = []
            }
        }
        if !chunk.isEmpty { send(chunk) }

        func send(_ chunk: [[UInt8]]) {
            if !connection.send([Array(command.utf8)] + chunk, replies: chunk.count) {
                options.logger.error("could not send \(command) for \(chunk.count) channels to Redis")
            }
        }
    }

    private func received(_ message: RedisConnection.Message) {
        statistics.received += 1
        var channel = message.channel, payload = message.payload
        if sharded != nil {
            do {
                guard let translated = try sharded?.incoming(channel: channel, payload: payload) else { return }
                (channel, payload) = translated
            } catch {
                return ignored(error.message, on: channel)
            }
        }
        let owner = message.pattern.map { patternOwners[$0] } ?? channelOwners[channel]
        owner?.adapter?.received(ClusterMessage(channel: channel, payload: payload))
    }

    // MARK: Connecting

    private func openConnections() async throws(RedisClusterError) {
        connecting = true
        defer { connecting = false }
        // Both resolved, logged in and on their database (publishing and subscribing ignore
        // the database; the recovery store's keys live there).
        let publisher = try await endpoint.open()
        let subscriber: RedisConnection
        do {
            subscriber = try await endpoint.open()
        } catch {
            publisher.close()
            throw error
        }
        do {
            _ = try await publisher.command("PING")
        } catch {
            publisher.close()
            subscriber.close()
            if case .server(let message) = error { throw .refused(message) }
            throw .unreachable(endpoint.url, "\(error)")
        }
        guard !closed else {
            publisher.close()
            subscriber.close()
            return
        }
        publisher.maxPendingReplies = options.maxPendingCommands
        // The subscribed connection waits only for subscription confirmations, one per channel:
        // as many as rooms with local members, which the sockets' own limits bound.
        subscriber.maxPendingReplies = 1 << 24
        subscriber.onMessage = { [weak self] message in self?.received(message) }
        publisher.onClose = { [weak self] in self?.connectionLost() }
        subscriber.onClose = { [weak self] in self?.connectionLost() }
        self.publisher = publisher
        self.subscriber = subscriber
        isConnected = true
        channelOwners = channelOwners.filter { $0.value.adapter != nil }
        pendingSubscribe = []
        pendingUnsubscribe = []
        sendInChunks(subscribeCommands.subscribe, Set(channelOwners.keys.compactMap(followedChannel)), on: subscriber)
        sendInChunks("PSUBSCRIBE", patternOwners.keys, on: subscriber)
    }

    private func connectionLost() {
        guard !closed, isConnected else { return }
        isConnected = false
        statistics.disconnections += 1
        options.logger.warning("lost the connection to Redis at \(endpoint.description): delivering on this process only; reconnecting")
        publisher?.close()
        subscriber?.close()
        publisher = nil
        subscriber = nil
        nextDelay = options.reconnectDelay
        scheduleReconnect()
    }

    private func scheduleReconnect() {
        guard !closed, reconnectTimer == nil else { return }
        let timer = LoopTimer { [weak self] in self?.attemptReconnect() }
        reconnectTimer = timer
        timer.start(afterMilliseconds: nextDelay)
        nextDelay = min(nextDelay * 2, options.maxReconnectDelay)
    }

    private func attemptReconnect() {
        reconnectTimer?.close()
        reconnectTimer = nil
        guard !closed, !connecting else { return }
        Task { [weak self] in
            guard let self else { return }
            do {
                try await openConnections()
                guard !closed else { return }
                statistics.reconnections += 1
                nextDelay = options.reconnectDelay
                options.logger.notice("reconnected to Redis at \(endpoint.description); subscribed again to \(channelOwners.count) channels")
            } catch {
                options.logger.debug("Redis at \(endpoint.description) still unreachable: \(error)")
                scheduleReconnect()
            }
        }
    }

    /// Writes the link's counters in the Prometheus format (`app.addMetrics { cluster.writeMetrics(into: &$0) }`).
    public func writeMetrics(into out: inout PrometheusWriter) {
        out.gauge("flagon_redis_connected", help: "1 while both connections to Redis are up.", value: isConnected ? 1 : 0)
        out.counter("flagon_redis_published_total", help: "Messages published to Redis.", value: statistics.published)
        out.counter("flagon_redis_publish_failures_total", help: "Publishes dropped: Redis away or too far behind.", value: statistics.publishFailures)
        out.counter("flagon_redis_received_total", help: "Messages received from Redis.", value: statistics.received)
        out.counter("flagon_redis_ignored_messages_total", help: "Messages from Redis ignored: malformed, foreign or of unknown type.",
                    value: statistics.ignoredMessages)
        out.counter("flagon_redis_disconnections_total", help: "Times the connection to Redis was lost.", value: statistics.disconnections)
        out.counter("flagon_redis_reconnections_total", help: "Times the connection to Redis was made again.", value: statistics.reconnections)
        out.gauge("flagon_redis_subscribed_channels", help: "Channels subscribed.", value: channelOwners.count)
    }

    static func randomID(length: Int) -> String { ClusterAdapter.randomID(length: length) }
}

/// Counters of a ``RedisCluster``.
public struct RedisClusterStatistics: Sendable, Equatable {
    /// Messages published.
    public var published = 0
    /// Publishes dropped: Redis away, or too far behind.
    public var publishFailures = 0
    /// Messages received from Redis.
    public var received = 0
    /// Messages received and ignored: malformed, foreign or of unknown type.
    public var ignoredMessages = 0
    /// Times the connection to Redis was lost.
    public var disconnections = 0
    /// Times it was made again.
    public var reconnections = 0
}

/// A weak reference to an adapter, for the table of channel owners.
struct WeakClusterAdapterReference {
    weak var adapter: ClusterAdapter?
}
