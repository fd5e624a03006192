import FlagonSocketIO

// The adapter's logic is shared with the workers of one server (FlagonSocketIO's Cluster
// folder); these names keep code written for the Redis adapter compiling.

/// The adapter of one namespace on Redis: a ``ClusterAdapter`` over a ``RedisCluster``.
public typealias RedisAdapter = ClusterAdapter
/// The channels of one namespace (``ClusterChannels``).
public typealias RedisAdapterChannels = ClusterChannels
/// A request or response between servers (``ClusterAdapterMessage``).
public typealias RedisAdapterMessage = ClusterAdapterMessage
/// The request types (``ClusterRequestType``).
public typealias RedisRequestType = ClusterRequestType
/// A broadcast between servers (``ClusterBroadcast``).
public typealias RedisBroadcast = ClusterBroadcast
/// A message that could not be decoded (``ClusterMessageError``).
public typealias RedisMessageError = ClusterMessageError
/// Which broadcasts a server receives (``ClusterRouting``).
public typealias RedisRouting = ClusterRouting
