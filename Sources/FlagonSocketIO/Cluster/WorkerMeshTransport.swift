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
    /// `.targeted` by default; a server with connection state recovery follows every
    /// broadcast (`.pattern`), so that each worker's log holds what its sockets would have got.
    public var routing = ClusterRouting.targeted
    public var requestsTimeout: UInt64 = 5000
    public let publishOnSpecificResponseChannel = true
    /// Messages that were not understood.
    public private(set) var ignoredMessages = 0
    private var owners: [String: WeakClusterAdapter] = [:]
    private var prefixOwners: [String: WeakClusterAdapter] = [:]

    private let logger = Logger.flagon("flagon.workers")

    private init(mesh: WorkerMesh) {
        self.mesh = mesh
        serverID = "worker-\(mesh.identity.index)-" + ClusterAdapter.randomID(length: 6)
        mesh.onMessage = { [unowned self] channel, payload in
            let message = ClusterMessage(channel: channel, payload: payload)
            if let owner = owners[channel] {
                owner.adapter?.received(message)
            } else if let owner = prefixOwners.first(where: { channel.hasPrefix($0.key) })?.value {
                owner.adapter?.received(message)
            }
        }
    }

    @discardableResult
    public func publish(_ channel: String, _ payload: [UInt8]) -> Bool { mesh.publish(channel, payload) }

    public func subscribe(_ channel: String, for adapter: ClusterAdapter) {
        owners[channel] = WeakClusterAdapter(adapter: adapter)
        mesh.subscribe(channel)
    }

    /// Follows every channel that starts like the pattern (its `*` ends it).
    public func subscribe(pattern: String, for adapter: ClusterAdapter) {
        let prefix = pattern.hasSuffix("*") ? String(pattern.dropLast()) : pattern
        prefixOwners[prefix] = WeakClusterAdapter(adapter: adapter)
        mesh.subscribe(prefix: prefix)
    }


    public func unsubscribe(_ channel: String) {
        if owners.removeValue(forKey: channel) != nil {
            mesh.unsubscribe(channel)
        } else if prefixOwners.removeValue(forKey: channel) != nil {
            mesh.unsubscribe(prefix: channel)
        }
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
