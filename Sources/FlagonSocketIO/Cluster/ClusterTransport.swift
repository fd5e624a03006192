import FlagonLoop

/// What carries a ``ClusterAdapter``'s messages between the servers of a cluster: named
/// channels with publish and subscribe, as Redis pub/sub has them. The workers of one server
/// use their links (``WorkerMeshTransport``); servers on several machines use Redis
/// (`RedisCluster`). Messages read from a transport are untrusted input.
///
/// ```swift
/// final class MyTransport: ClusterTransport { ... }
/// let sio = SocketIOServer(adapter: { ClusterAdapter(namespace: $0, transport: myTransport) })
/// ```
@LoopActor
public protocol ClusterTransport: AnyObject {
    /// This server's id (`uid` in the adapter's messages), unique in the cluster.
    var serverID: String { get }
    /// The key prefix of every channel (`socket.io` by default).
    var prefix: String { get }
    /// Which broadcast channels the adapters follow.
    var routing: ClusterRouting { get }
    /// How long a request to the other servers waits for their answers, in milliseconds.
    var requestsTimeout: UInt64 { get }
    /// Whether responses go to the requester's own channel.
    var publishOnSpecificResponseChannel: Bool { get }
    /// Publishes a message; `false` (and counted) when it could not be sent.
    @discardableResult
    func publish(_ channel: String, _ payload: [UInt8]) -> Bool
    /// Starts delivering a channel's messages to `adapter` (``ClusterAdapter/received(_:)``).
    func subscribe(_ channel: String, for adapter: ClusterAdapter)
    /// Delivers the messages of every channel that matches a pattern to `adapter`.
    func subscribe(pattern: String, for adapter: ClusterAdapter)
    /// Stops delivering a channel's messages.
    func unsubscribe(_ channel: String)
    /// How many servers subscribe to a channel, this one included; `nil` when unknown.
    func subscriberCount(_ channel: String) async -> Int?
    /// Counts (and logs) a message that was not understood.
    func ignored(_ why: String, on channel: String)
}

/// One message received from a ``ClusterTransport``.
public struct ClusterMessage: Sendable, Equatable {
    /// The channel it arrived on.
    public var channel: String
    /// Its bytes.
    public var payload: [UInt8]

    /// A message of `payload` on `channel`.
    public init(channel: String, payload: [UInt8]) {
        self.channel = channel
        self.payload = payload
    }
}
