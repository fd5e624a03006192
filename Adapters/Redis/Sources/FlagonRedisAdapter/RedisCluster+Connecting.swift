import FlagonLoop
import FlagonSocketIO

/// Opening the two connections (on a Redis Cluster, through the first node that answers),
/// noticing their loss, and reconnecting with backoff, subscribed again to what is owned.
extension RedisCluster {
    func openConnections() async throws(RedisClusterError) {
        connecting = true
        defer { connecting = false }
        guard let router else { return try await openConnections(to: endpoint) }
        // On a Redis Cluster, any node serves classic pub/sub: the first that answers.
        var lastError = RedisClusterError.unreachable(endpoint.url, "no node of the cluster answered")
        for node in router.candidates {
            do {
                return try await openConnections(to: router.endpoint(for: node))
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    func openConnections(to endpoint: RedisEndpoint) async throws(RedisClusterError) {
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
        mainEndpoint = endpoint
        isConnected = true
        channelOwners = channelOwners.filter { $0.value.adapter != nil }
        pendingSubscribe = []
        pendingUnsubscribe = []
        // Shard channels on a Redis Cluster are the router's.
        if sharded == nil || router == nil {
            sendInChunks(subscribeCommands.subscribe, Set(channelOwners.keys.compactMap(followedChannel)), on: subscriber)
        }
        sendInChunks("PSUBSCRIBE", patternOwners.keys, on: subscriber)
    }

    func connectionLost() {
        guard !closed, isConnected else { return }
        isConnected = false
        statistics.disconnections += 1
        options.logger.warning("lost the connection to Redis at \(mainEndpoint.description): delivering on this process only; reconnecting")
        publisher?.close()
        subscriber?.close()
        publisher = nil
        subscriber = nil
        nextDelay = options.reconnectDelay
        scheduleReconnect()
    }

    func scheduleReconnect() {
        guard !closed, reconnectTimer == nil else { return }
        let timer = LoopTimer { [weak self] in self?.attemptReconnect() }
        reconnectTimer = timer
        timer.start(afterMilliseconds: nextDelay)
        nextDelay = min(nextDelay * 2, options.maxReconnectDelay)
    }

    func attemptReconnect() {
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
                options.logger.notice("reconnected to Redis at \(mainEndpoint.description); subscribed again to \(channelOwners.count) channels")
            } catch {
                options.logger.debug("Redis at \(endpoint.description) still unreachable: \(error)")
                scheduleReconnect()
            }
        }
    }
}
