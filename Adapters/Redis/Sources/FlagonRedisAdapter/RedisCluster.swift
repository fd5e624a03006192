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
    public internal(set) var isConnected = false
    /// What went through Redis, and what did not.
    public internal(set) var statistics = RedisClusterStatistics()

    let endpoint: RedisEndpoint
    var publisher: RedisConnection?
    var subscriber: RedisConnection?
    /// Who receives the messages of each subscribed channel and pattern.
    var channelOwners: [String: WeakClusterAdapterReference] = [:]
    var patternOwners: [String: WeakAdapter] = [:]
    var pendingSubscribe: Set<String> = []
    var pendingUnsubscribe: Set<String> = []
    private var flushScheduled = false
    var reconnectTimer: LoopTimer?
    var nextDelay: UInt64
    var closed = false
    var connecting = false
    /// With sharded pub/sub: the translation to `createShardedAdapter`'s messages and channels.
    var sharded: ShardedDialect?
    /// On a Redis Cluster: the links to its nodes, for keyed commands and shard channels.
    private(set) var router: RedisSlotRouter?
    /// The node the main connections last reached (on a Redis Cluster, any node serves them).
    var mainEndpoint: RedisEndpoint

    typealias WeakAdapter = WeakClusterAdapterReference

    private init(options: RedisAdapterOptions, endpoint: RedisEndpoint) {
        self.options = options
        self.endpoint = endpoint
        self.serverID = options.serverID ?? RedisCluster.randomID(length: 6)
        self.nextDelay = options.reconnectDelay
        self.mainEndpoint = endpoint
        sharded = options.sharded.map { ShardedDialect(prefix: options.prefix, mode: $0, uid: serverID) }
    }

    /// Connects to Redis. Throws when it cannot be reached, unless
    /// ``RedisAdapterOptions/startWithoutRedis`` is set: then the cluster starts alone and
    /// keeps trying.
    public static func connect(_ options: RedisAdapterOptions) async throws(RedisClusterError) -> RedisCluster {
        var endpoint = try RedisEndpoint(url: options.url)
        endpoint.tls = options.tls
        if options.redisCluster {
            if endpoint.socketPath != nil { throw .invalidURL(endpoint.url, "a Redis Cluster is reached over TCP, not a unix socket") }
            if endpoint.database != 0 { throw .invalidURL(endpoint.url, "a Redis Cluster has only database 0") }
        }
        let cluster = RedisCluster(options: options, endpoint: endpoint)
        do {
            if options.redisCluster { try await cluster.startRouter() }
            try await cluster.openConnections()
        } catch {
            guard options.startWithoutRedis else {
                cluster.close()
                throw error
            }
            options.logger.warning("\(error); serving this process alone until Redis answers")
            cluster.scheduleReconnect()
        }
        cluster.router?.keepRefreshing()
        return cluster
    }

    private func startRouter() async throws(RedisClusterError) {
        let router = RedisSlotRouter(seed: endpoint, logger: options.logger, maxPendingCommands: options.maxPendingCommands)
        router.onMessage = { [weak self] message in self?.received(message) }
        self.router = router
        try await router.start()
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
        router?.close()
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
        if sharded != nil, let router {
            // A shard channel goes to the primary that serves its slot.
            guard router.send([Array(command.utf8), Array(channel.utf8), payload], key: Array(channel.utf8)) else {
                statistics.publishFailures += 1
                return false
            }
            statistics.published += 1
            return true
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

    /// Sends a command about `key` without waiting for its reply; `false` when Redis is away
    /// or too far behind. (On a Redis Cluster, the command goes to the node of `key`'s slot.)
    @discardableResult
    func sendCommand(_ arguments: [[UInt8]], key: [UInt8]) -> Bool {
        if let router { return router.send(arguments, key: key) }
        guard let publisher, isConnected, publisher.pendingWriteBytes < options.maxPendingBytes else { return false }
        return publisher.send(arguments)
    }

    /// Sends a command; `reply` gets its reply, in order. `false` (and no reply) when Redis is
    /// away or too far behind.
    @discardableResult
    func sendCommand(_ arguments: [[UInt8]], key: [UInt8],
                     reply: @escaping @LoopActor (Result<RESPValue, RedisConnection.Failure>) -> Void) -> Bool {
        if let router { return router.send(arguments, key: key, reply: reply) }
        guard let publisher, isConnected, publisher.pendingWriteBytes < options.maxPendingBytes else { return false }
        return publisher.send(arguments, reply: reply)
    }

    /// Sends a command about `key` and waits for its reply; `nil` when Redis is away or
    /// answered an error.
    func command(_ arguments: [[UInt8]], key: [UInt8]) async -> RESPValue? {
        if let router {
            guard let reply = await router.command(arguments, key: key), !reply.isError else { return nil }
            return reply
        }
        guard let publisher, isConnected else { return nil }
        return try? await publisher.command(arguments)
    }

    /// Waits until Redis has handled every command sent so far (before a shutdown: the
    /// states of the sockets it closed are saved). `false` when Redis is away.
    @discardableResult
    public func flush() async -> Bool {
        if let router { return await router.flush() }
        guard let publisher, isConnected else { return false }
        return (try? await publisher.command("PING")) != nil
    }

    /// How many connections subscribe to a channel (the number of servers of a namespace);
    /// `nil` when Redis cannot tell.
    public func subscriberCount(_ channel: String) async -> Int? {
        var question = ["PUBSUB", "NUMSUB", channel]
        if let sharded {
            guard let servers = sharded.serversChannel(for: channel) else { return nil }
            question = ["PUBSUB", "SHARDNUMSUB", servers]
        }
        let arguments = question.map { Array($0.utf8) }
        func count(_ reply: RESPValue?) -> Int? {
            guard let items = reply?.elements, items.count == 2, let count = items[1].integer else { return nil }
            return Int(count)
        }
        if let router {
            // A shard channel's subscribers are on the node of its slot; a classic channel's
            // on whichever node each server subscribed through: the sum over every node.
            if sharded != nil { return count(await router.command(arguments, key: Array(question[2].utf8))) }
            let counts = await router.commandOnEveryNode(arguments).compactMap(count)
            return counts.isEmpty ? nil : counts.reduce(0, +)
        }
        guard let publisher, isConnected else { return nil }
        return count(try? await publisher.command(arguments))
    }

    /// Starts delivering a channel's messages to an adapter.
    public func subscribe(_ channel: String, for adapter: ClusterAdapter) {
        channelOwners[channel] = WeakAdapter(adapter: adapter)
        guard let followed = followedChannel(channel) else { return }
        if sharded != nil, let router { return router.subscribeShard(followed) }
        if pendingUnsubscribe.remove(followed) == nil { pendingSubscribe.insert(followed) }
        scheduleFlush()
    }

    /// Stops delivering a channel's messages.
    public func unsubscribe(_ channel: String) {
        guard channelOwners.removeValue(forKey: channel) != nil, let followed = followedChannel(channel) else { return }
        if sharded != nil, let router { return router.unsubscribeShard(followed) }
        if pendingSubscribe.remove(followed) == nil { pendingUnsubscribe.insert(followed) }
        scheduleFlush()
    }

    /// The Redis channel that carries an adapter's channel: itself, or with sharded pub/sub
    /// its shard channel (`nil`: none of its own, such as requests).
    func followedChannel(_ channel: String) -> String? {
        guard let sharded else { return channel }
        return sharded.shardChannel(subscribing: channel)
    }

    var subscribeCommands: (subscribe: String, unsubscribe: String) {
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
        // Ends of turn run before clients' writes go out: the subscription leaves before the
        // join's acknowledgement does, which narrows the instant in which another server's
        // emit misses the new member (Redis orders two connections' commands as they arrive).
        subscriber.flushNow()
    }

    func sendInChunks(_ command: String, _ channels: some Collection<String>, on connection: RedisConnection) {
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

    func received(_ message: RedisConnection.Message) {
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

    static func randomID(length: Int) -> String { ClusterAdapter.randomID(length: length) }
}

/// A weak reference to an adapter, for the table of channel owners.
struct WeakClusterAdapterReference {
    weak var adapter: ClusterAdapter?
}
