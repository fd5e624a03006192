import Flagon
import FlagonLoop
import Logging

/// The ``ClusterTransport`` of the workers of one server: their direct links
/// (``WorkerMesh``), with no broker and no Redis. A worker receives a room's broadcasts only
/// while it has members in the room. A ``SocketIOServer`` in a worker uses it by default.
///
/// ```swift
/// if let transport = WorkerMeshTransport.shared {
///     let sio = SocketIOServer(adapter: { ClusterAdapter(namespace: $0, transport: transport) })
/// }
/// ```
@LoopActor
public final class WorkerMeshTransport: ClusterTransport {
    /// The transport of this worker; `nil` in a process that serves alone.
    public static let shared: WorkerMeshTransport? = WorkerMesh.shared.map { WorkerMeshTransport(mesh: $0) }

    /// The links.
    public let mesh: WorkerMesh
    public let serverID: String
    public let prefix = "socket.io"
    public let routing = ClusterRouting.targeted
    public var requestsTimeout: UInt64 = 5000
    public let publishOnSpecificResponseChannel = true
    /// Messages that were not understood.
    public private(set) var ignoredMessages = 0
    private var owners: [String: WeakClusterAdapter] = [:]
    private let logger = Logger.flagon("flagon.workers")

    private init(mesh: WorkerMesh) {
        self.mesh = mesh
        serverID = "worker-\(mesh.identity.index)-" + ClusterAdapter.randomID(length: 6)
        mesh.onMessage = { [unowned self] channel, payload in
            owners[channel]?.adapter?.received(ClusterMessage(channel: channel, payload: payload))
        }
    }

    @discardableResult
    public func publish(_ channel: String, _ payload: [UInt8]) -> Bool { mesh.publish(channel, payload) }

    public func subscribe(_ channel: String, for adapter: ClusterAdapter) {
        owners[channel] = WeakClusterAdapter(adapter: adapter)
        mesh.subscribe(channel)
    }

    /// Patterns are not needed between workers (routing is always targeted): the namespace's
    /// channel is followed instead.
    public func subscribe(pattern: String, for adapter: ClusterAdapter) {
        subscribe(adapter.channels.broadcast, for: adapter)
    }

    public func unsubscribe(_ channel: String) {
        guard owners.removeValue(forKey: channel) != nil else { return }
        mesh.unsubscribe(channel)
    }

    public func subscriberCount(_ channel: String) async -> Int? { mesh.subscriberCount(channel) }

    public func ignored(_ why: String, on channel: String) {
        ignoredMessages += 1
        if ignoredMessages <= 10 || ignoredMessages.isMultiple(of: 1000) {
            logger.warning("ignored a message from another worker on \(channel): \(why) (\(ignoredMessages) so far)")
        }
    }
}

/// A weak reference to an adapter, for a transport's table of channel owners.
struct WeakClusterAdapter {
    weak var adapter: ClusterAdapter?
}
