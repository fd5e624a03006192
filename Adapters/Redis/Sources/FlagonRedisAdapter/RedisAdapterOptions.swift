import FlagonSocketIO
import Flagon
import Logging

/// How the Redis adapter reaches Redis and takes part in the cluster.
///
/// ```swift
/// var options = RedisAdapterOptions(url: "redis://127.0.0.1:6379")
/// options.requestsTimeout = 2000
/// let cluster = try await RedisCluster.connect(options)
/// ```
public struct RedisAdapterOptions: Sendable {
    /// `redis://[[user]:password@]host[:port][/db]`: `host` a DNS name (resolved without
    /// blocking the loop, again at every reconnection), an IPv4 or a bracketed IPv6 literal;
    /// `user` an ACL user; `db` selected after connecting. `rediss://…` is the same over TLS
    /// (see ``tls``); `unix:///path/to/redis.sock[?db=N]` a unix-domain socket. A URL that
    /// cannot work is refused by ``RedisCluster/connect(_:)`` with the part that is wrong.
    public var url: String
    /// How a `rediss://` URL's TLS verifies Redis (the system's CAs by default).
    public var tls = RedisTLSOptions()
    /// The key prefix of every channel (`@socket.io/redis-adapter`'s `key`, default `socket.io`).
    public var prefix = "socket.io"
    /// Milliseconds to wait for the other servers' answers to a request (default 5,000).
    public var requestsTimeout: UInt64 = 5000
    /// Which broadcasts this server receives (default ``RedisRouting/targeted``).
    public var routing = ClusterRouting.targeted
    /// Answers requests on the requester's own response channel rather than the shared one
    /// (`publishOnSpecificResponseChannel`; off by default, as Node's, so that every version
    /// of the Node adapter gets the answers).
    public var publishOnSpecificResponseChannel = false
    /// Sharded pub/sub (Redis 7: `SPUBLISH`/`SSUBSCRIBE`) in this subscription mode, speaking
    /// what `@socket.io/redis-adapter`'s `createShardedAdapter` speaks with the same
    /// `subscriptionMode` (default `nil`: classic pub/sub, as `createAdapter`). Every server of
    /// the cluster must use the same. `REDIS_SHARDED=static|dynamic|dynamic-private`.
    public var sharded: RedisShardedMode?
    /// `true` when ``url`` names one node of a Redis Cluster (`REDIS_CLUSTER=1`): the others
    /// are found from it (`CLUSTER SLOTS`); keyed commands (the recovery store's) go to the
    /// primary of their slot, following `MOVED` and `ASK`; shard channels are subscribed on
    /// the node that serves them; classic pub/sub, which a cluster carries to every node,
    /// goes through any node that answers. The table is read again after every fault, so a
    /// failover is followed. Only database 0 exists there (default `false`).
    public var redisCluster = false
    /// When Redis cannot be reached at start-up: `false` (the default) makes
    /// ``RedisCluster/connect(_:)`` throw; `true` starts on this process alone and keeps
    /// trying to join the cluster.
    public var startWithoutRedis = false
    /// The first delay before reconnecting after Redis is lost, in milliseconds; it doubles up
    /// to ``maxReconnectDelay``.
    public var reconnectDelay: UInt64 = 100
    /// The longest delay between reconnection attempts (default 5,000 ms).
    public var maxReconnectDelay: UInt64 = 5000
    /// Commands that may wait for Redis's replies at once on each connection; a publish over
    /// it is dropped and counted (default 10,000).
    public var maxPendingCommands = 10_000
    /// Bytes written to Redis and not yet sent; a publish over it is dropped and counted
    /// (default 16 MiB), so that a slow Redis never makes the process grow without bound.
    public var maxPendingBytes = 16 << 20
    /// This server's id in the cluster (a random one by default).
    public var serverID: String?
    /// Where the adapter logs.
    public var logger = Logger.flagon("flagon.redis")

    /// Options for the Redis at `url`.
    public init(url: String = "redis://127.0.0.1:6379") {
        self.url = url
    }
}


/// Why the cluster could not be joined.
public enum RedisClusterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL is not a `redis://` URL this adapter reads.
    case invalidURL(String, String)
    /// Redis did not answer at start-up.
    case unreachable(String, String)
    /// Redis refused the password, or answered something else than expected.
    case refused(String)

    public var description: String {
        switch self {
        case .invalidURL(let url, let why): "invalid Redis URL \(url): \(why)"
        case .unreachable(let url, let why): "cannot reach Redis at \(url): \(why)"
        case .refused(let why): "Redis refused the connection: \(why)"
        }
    }
}
