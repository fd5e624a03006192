import Flagon

extension RedisCluster {
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
        if let router {
            let counters = router.statistics
            out.counter("flagon_redis_cluster_redirections_total", help: "MOVED and ASK redirections followed.", value: counters.redirections)
            out.counter("flagon_redis_cluster_topology_refreshes_total", help: "Times the slot table was read (CLUSTER SLOTS).",
                        value: counters.topologyRefreshes)
            out.counter("flagon_redis_cluster_faults_total", help: "Lost nodes, redirections and slots without a primary.",
                        value: counters.faults)
            out.counter("flagon_redis_cluster_failed_commands_total", help: "Commands no node could take.", value: counters.failedCommands)
            out.gauge("flagon_redis_cluster_primaries", help: "Primaries in the slot table.", value: router.topology.primaries.count)
        }
    }
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
