import FlagonLoop
import Logging

/// The links of one process to the nodes of a Redis Cluster: each keyed command goes to the
/// primary that serves its key's slot, `MOVED` and `ASK` are followed (at most
/// ``maxRedirections`` times per command), the slot table is read again (`CLUSTER SLOTS`)
/// after every fault and every ten seconds, and shard channels are subscribed on the node
/// that serves them, moved when their slot moves (a failover, a resharding).
///
/// A fault (a node lost, a redirection, a slot with no owner) is logged and counted, and
/// makes the table be read twice a second for the next 30 seconds: never a crash, never a
/// spin.
@LoopActor
final class RedisSlotRouter {
    /// Redirections one command may follow; more is a loop: the command fails.
    static let maxRedirections = 5
    /// Commands that may wait for a node's connection to open.
    static let maxQueuedPerNode = 10_000

    /// Counters of the router.
    struct Statistics: Equatable {
        var redirections = 0
        var topologyRefreshes = 0
        var failedCommands = 0
        var faults = 0
    }

    var topology = RedisClusterTopology()
    private(set) var statistics = Statistics()
    /// Receives the messages of the shard channels.
    var onMessage: (@LoopActor (RedisConnection.Message) -> Void)?
    /// Called after each `CLUSTER SLOTS` that changed the table.
    var onTopologyChange: (@LoopActor () -> Void)?

    private let seed: RedisEndpoint
    private let seedNode: RedisClusterNode
    private let logger: Logger
    private let maxPendingCommands: Int
    private var commandLinks: [RedisClusterNode: NodeLink] = [:]
    var subscriberLinks: [RedisClusterNode: NodeLink] = [:]
    var wantedShardChannels: Set<String> = []
    var shardChannelNode: [String: RedisClusterNode] = [:]
    private var timer: LoopTimer?
    private var lastRefresh: UInt64 = 0
    private var fastRefreshUntil: UInt64 = 0
    private var refreshing = false
    var closed = false

    /// A command on its way: where it is, how often it was redirected.
    struct Command {
        var arguments: [[UInt8]]
        var slot: Int?
        var redirections = 0
        var asking = false
        var reply: (@LoopActor (Result<RESPValue, RedisConnection.Failure>) -> Void)?
    }

    /// One node's connection, or the commands waiting for it to open.
    final class NodeLink {
        var connection: RedisConnection?
        var waiting: [Command] = []
        var opening = false
        var retryAt: UInt64 = 0
    }

    init(seed: RedisEndpoint, logger: Logger, maxPendingCommands: Int) {
        self.seed = seed
        self.seedNode = RedisClusterNode(host: seed.host, port: seed.port)
        self.logger = logger
        self.maxPendingCommands = maxPendingCommands
    }

    /// Reads the slot table from the URL's node; throws when it is not a cluster node or
    /// the table cannot be read.
    func start() async throws(RedisClusterError) {
        let connection = try await seed.open()
        defer { connection.close() }
        let reply: RESPValue
        do {
            reply = try await connection.command("CLUSTER", "SLOTS")
        } catch {
            if case .server(let message) = error {
                throw .refused("\(seed.description) is not a Redis Cluster node (CLUSTER SLOTS: \(message))")
            }
            throw .unreachable(seed.url, "\(error)")
        }
        do {
            topology = try RedisClusterTopology(slotsReply: reply, askedNode: seedNode)
        } catch {
            throw .refused("CLUSTER SLOTS from \(seed.description): \(error.why)")
        }
        if topology.unservedSlotCount > 0 {
            logger.error("Redis Cluster: \(topology.unservedSlotCount) slots have no primary; commands for them fail until they do")
        }
        lastRefresh = EventLoop.shared.nowMilliseconds
    }

    /// Reads the slot table again twice a second while something is wrong, else every ten
    /// seconds (started also when ``start()`` failed: the router then keeps trying).
    func keepRefreshing() {
        guard timer == nil, !closed else { return }
        let timer = LoopTimer { [weak self] in self?.tick() }
        timer.start(afterMilliseconds: 500, repeatMilliseconds: 500)
        timer.unref()
        self.timer = timer
    }

    /// The nodes the table names (primaries first), then the URL's: where to open a
    /// connection that any node can serve.
    var candidates: [RedisClusterNode] {
        var list = topology.primaries + topology.nodes.filter { !topology.primaries.contains($0) }
        if !list.contains(seedNode) { list.append(seedNode) }
        return list
    }

    /// The endpoint of a node, with the URL's credentials and TLS.
    func endpoint(for node: RedisClusterNode) -> RedisEndpoint { seed.pointing(to: node) }

    func close() {
        closed = true
        timer?.close()
        timer = nil
        for link in commandLinks.values { link.connection?.closeAfterFlush() }
        for link in subscriberLinks.values { link.connection?.close() }
        commandLinks = [:]
        subscriberLinks = [:]
    }

    // MARK: Commands

    /// Sends a command to the primary of `key`'s slot (any node when `key` is `nil`);
    /// `reply` gets its reply once every redirection is followed. `false` when no node could
    /// take it (then `reply` is not called).
    @discardableResult
    func send(_ arguments: [[UInt8]], key: [UInt8]?,
              reply: (@LoopActor (Result<RESPValue, RedisConnection.Failure>) -> Void)? = nil) -> Bool {
        guard !closed else { return false }
        let slot = key.map { RedisClusterTopology.slot(of: $0) }
        guard let node = slot.map({ topology.primary(forSlot: $0) }) ?? topology.primaries.first else {
            statistics.failedCommands += 1
            fault("slot \(slot ?? -1) has no primary")
            return false
        }
        return dispatch(Command(arguments: arguments, slot: slot, reply: reply), to: node)
    }

    /// Sends a command and waits for its reply; `nil` when it failed.
    func command(_ arguments: [[UInt8]], key: [UInt8]?) async -> RESPValue? {
        let result: Result<RESPValue, RedisConnection.Failure>? = await withCheckedContinuation { continuation in
            if !send(arguments, key: key, reply: { continuation.resume(returning: $0) }) { continuation.resume(returning: nil) }
        }
        guard case .success(let value)? = result else { return nil }
        return value
    }

    /// Sends a command to every node of the table (replicas too) and returns the replies
    /// that came (`PUBSUB NUMSUB` counts the subscribers of its own node only).
    func commandOnEveryNode(_ arguments: [[UInt8]]) async -> [RESPValue] {
        var replies: [RESPValue] = []
        for node in topology.nodes {
            if let reply = await commandOn(node, arguments) { replies.append(reply) }
        }
        return replies
    }

    /// Waits until every node with a connection has handled what was sent to it.
    func flush() async -> Bool {
        var ok = true
        for (node, link) in commandLinks where link.connection != nil {
            ok = await commandOn(node, [Array("PING".utf8)]) != nil && ok
        }
        return ok
    }

    private func dispatch(_ command: Command, to node: RedisClusterNode) -> Bool {
        let link = commandLinks[node] ?? NodeLink()
        commandLinks[node] = link
        guard let connection = link.connection else {
            guard link.waiting.count < Self.maxQueuedPerNode, EventLoop.shared.nowMilliseconds >= link.retryAt else {
                statistics.failedCommands += 1
                return false
            }
            link.waiting.append(command)
            if !link.opening { open(link, to: node, subscriber: false) }
            return true
        }
        if command.asking { connection.send([Array("ASKING".utf8)]) }
        let sent = connection.send(command.arguments) { [weak self] result in
            guard let self else { return command.reply?(result) ?? () }
            if case .failure(.server(let message)) = result, let redirect = RedisClusterRedirect(error: message, from: node) {
                redirected(command, redirect, message: message)
            } else {
                // An error reply is the caller's to judge; a lost link is a failure here.
                if case .failure(let failure) = result, !failure.isServerError { statistics.failedCommands += 1 }
                command.reply?(result)
            }
        }
        if !sent { statistics.failedCommands += 1 }
        return sent
    }

    private func redirected(_ command: Command, _ redirect: RedisClusterRedirect, message: String) {
        statistics.redirections += 1
        var next = command
        next.redirections += 1
        guard next.redirections <= Self.maxRedirections else {
            statistics.failedCommands += 1
            fault("a command was redirected more than \(Self.maxRedirections) times (last: \(message))")
            command.reply?(.failure(.server(message)))
            return
        }
        switch redirect {
        case .moved(let slot, let node):
            topology.assign(slot: slot, to: node)
            next.asking = false
            fault(nil)   // the table changed: read it again soon
        case .ask:
            next.asking = true
        }
        if !dispatch(next, to: redirect.node) { command.reply?(.failure(.closed)) }
    }

    // MARK: Connections

    func open(_ link: NodeLink, to node: RedisClusterNode, subscriber: Bool) {
        link.opening = true
        let endpoint = endpoint(for: node)
        Task { [weak self] in
            let connection = try? await endpoint.open()
            guard let self else { connection?.close(); return }
            link.opening = false
            let links = subscriber ? subscriberLinks : commandLinks
            guard !closed, links[node] === link, let connection else {
                connection?.close()
                if !closed { nodeUnreachable(node, link: link) }
                return
            }
            link.connection = connection
            connection.onClose = { [weak self, weak link] in
                guard let self, let link else { return }
                link.connection = nil
                lost(node, subscriber: subscriber)
            }
            if subscriber {
                connection.maxPendingReplies = 1 << 20
                connection.onMessage = { [weak self] message in self?.onMessage?(message) }
                connection.onSubscriptionEvent = { [weak self] kind, channel in self?.subscriptionEvent(kind, channel, on: node) }
                connection.onSubscriptionError = { [weak self] message in self?.subscriptionError(message, on: node) }
                reconcileShardChannels()
            } else {
                connection.maxPendingReplies = maxPendingCommands
                let waiting = link.waiting
                link.waiting = []
                for command in waiting where !dispatch(command, to: node) { command.reply?(.failure(.closed)) }
            }
        }
    }

    private func nodeUnreachable(_ node: RedisClusterNode, link: NodeLink) {
        link.retryAt = EventLoop.shared.nowMilliseconds + 500
        let waiting = link.waiting
        link.waiting = []
        statistics.failedCommands += waiting.count
        for command in waiting { command.reply?(.failure(.closed)) }
        fault("cannot reach the cluster node \(node)")
    }

    private func lost(_ node: RedisClusterNode, subscriber: Bool) {
        guard !closed else { return }
        if subscriber {
            for (channel, owner) in shardChannelNode where owner == node { shardChannelNode[channel] = nil }
        }
        fault("lost the connection to the cluster node \(node)")
    }

    // MARK: The slot table

    /// Something went wrong: read the table twice a second for the next 30 s.
    func fault(_ why: String?) {
        statistics.faults += 1
        fastRefreshUntil = EventLoop.shared.nowMilliseconds + 30_000
        guard let why else { return }
        if statistics.faults <= 20 || statistics.faults.isMultiple(of: 1000) {
            logger.warning("Redis Cluster: \(why) (\(statistics.faults) faults so far); reading the slot table again")
        }
    }

    private func tick() {
        let now = EventLoop.shared.nowMilliseconds
        let due = now < fastRefreshUntil || now - lastRefresh >= 10_000
        if due, !refreshing {
            refreshing = true
            Task { [weak self] in
                await self?.refresh()
                self?.refreshing = false
            }
        } else if shardChannelNode.count < wantedShardChannels.count {
            reconcileShardChannels()
        }
    }

    /// Reads `CLUSTER SLOTS` from the first node that answers.
    func refresh() async {
        lastRefresh = EventLoop.shared.nowMilliseconds
        statistics.topologyRefreshes += 1
        for node in candidates {
            guard !closed else { return }
            guard let reply = await commandOn(node, [Array("CLUSTER".utf8), Array("SLOTS".utf8)]),
                  let read = try? RedisClusterTopology(slotsReply: reply, askedNode: node), !read.primaries.isEmpty
            else { continue }
            if read != topology {
                let before = topology.primaries
                topology = read
                if before != read.primaries {
                    logger.notice("Redis Cluster: primaries are now \(read.primaries.map(\.description).joined(separator: ", "))")
                }
                dropLinksToForgottenNodes()
                onTopologyChange?()
            }
            if read.unservedSlotCount > 0 { fault("\(read.unservedSlotCount) slots have no primary") }
            reconcileShardChannels()
            return
        }
        fault("no cluster node answered CLUSTER SLOTS")
    }

    private func commandOn(_ node: RedisClusterNode, _ arguments: [[UInt8]]) async -> RESPValue? {
        let result: Result<RESPValue, RedisConnection.Failure>? = await withCheckedContinuation { continuation in
            if !dispatch(Command(arguments: arguments, slot: nil, reply: { continuation.resume(returning: $0) }), to: node) {
                continuation.resume(returning: nil)
            }
        }
        guard case .success(let value)? = result else { return nil }
        return value
    }

    private func dropLinksToForgottenNodes() {
        let known = Set(topology.nodes).union([seedNode])
        for (node, link) in commandLinks where !known.contains(node) {
            link.connection?.closeAfterFlush()
            commandLinks[node] = nil
        }
        for (node, link) in subscriberLinks where !known.contains(node) {
            link.connection?.close()
            subscriberLinks[node] = nil
            for (channel, owner) in shardChannelNode where owner == node { shardChannelNode[channel] = nil }
        }
    }
}

extension RedisConnection.Failure {
    /// `true` for an error reply from Redis (the link itself is fine).
    var isServerError: Bool { if case .server = self { true } else { false } }
}
