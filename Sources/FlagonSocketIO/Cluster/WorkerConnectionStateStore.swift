import Flagon
import FlagonJSON
import FlagonLoop
import FlagonMessagePack
import FlagonSocketIOCore

/// Connection state recovery across the workers of one server: each worker keeps its own
/// disconnected sockets and a log of every broadcast that reached it (its own, and the other
/// workers', which it follows while recovery is on), in the order its sockets got them. A
/// client that comes back on another worker is recovered there: that worker asks the one its
/// `pid` names for the state and the missed broadcasts, one request over their link. The
/// recovered socket gets a `pid` of its new worker.
///
/// A ``SocketIOServer`` with ``SocketIOOptions/connectionStateRecovery`` uses it by default
/// in a worker.
@LoopActor
public final class WorkerConnectionStateStore: ConnectionStateStore {
    /// This worker's sockets and log.
    public let local: InMemoryConnectionStateStore
    private let transport: WorkerMeshTransport
    private var pending: [String: PendingRestore] = [:]
    /// How long a worker waits for another's answer, in milliseconds (default 2 s; then a fresh session).
    public var requestTimeout: UInt64 = 2000

    private struct PendingRestore {
        let timer: LoopTimer
        let done: CheckedContinuation<RecoveredSocketState?, Never>
    }

    /// A store with these limits over the workers' links.
    public init(settings: ConnectionStateRecovery, transport: WorkerMeshTransport) {
        self.local = InMemoryConnectionStateStore(settings: settings)
        self.transport = transport
        transport.subscribe(Self.channel(of: transport.mesh.identity.index)) { [weak self] message in self?.received(message) }
    }

    /// The channel of worker `index`'s recovery requests and answers.
    static func channel(of index: Int) -> String { "flagon-recovery#\(index)#" }

    public func record(_ packet: SocketIOPacket, target: BroadcastTarget, send: @escaping @LoopActor (SocketIOPacket) -> Void) {
        local.record(packet, target: target, send: send)
    }

    public func observe(_ packet: SocketIOPacket, target: BroadcastTarget) { local.observe(packet, target: target) }

    public func save(_ state: SocketState, connected: Bool) { local.save(state, connected: connected) }

    public func discard(pid: String) { local.discard(pid: pid) }

    public var keepsConnectedStates: Bool { false }

    public func restore(pid: String, offset: String, namespace: String) async -> RecoveredSocketState? {
        let me = transport.mesh.identity.index
        guard let owner = WorkerIDs.owner(of: pid), owner != me else {
            return await local.restore(pid: pid, offset: offset, namespace: namespace)
        }
        guard transport.mesh.isReachable(owner) else { return nil }
        let requestID = ClusterAdapter.randomID(length: 12)
        let request: MessagePackValue = [
            "type": "restore", "requestId": .string(requestID), "from": .int(Int64(me)),
            "pid": .string(pid), "offset": .string(offset), "nsp": .string(namespace),
        ]
        let restored: RecoveredSocketState? = await withCheckedContinuation { continuation in
            let timer = LoopTimer { [weak self] in self?.finish(requestID, with: nil) }
            pending[requestID] = PendingRestore(timer: timer, done: continuation)
            timer.start(afterMilliseconds: requestTimeout)
            if !transport.publish(Self.channel(of: owner), MessagePackWriter.encode(request)) { finish(requestID, with: nil) }
        }
        guard var restored else { return nil }
        restored.state.pid = EngineSession.makeID()   // this worker's now
        return restored
    }

    private func finish(_ requestID: String, with state: RecoveredSocketState?) {
        guard let request = pending.removeValue(forKey: requestID) else { return }
        request.timer.close()
        request.done.resume(returning: state)
    }

    // MARK: Between workers

    private func received(_ message: ClusterMessage) {
        guard case .map(let fields)? = try? MessagePackReader.decode(message.payload), case .string(let type)? = fields["type"],
              case .string(let requestID)? = fields["requestId"]
        else { return transport.ignored("not a recovery message", on: message.channel) }
        switch type {
        case "restore":
            guard case .int(let from)? = fields["from"], from >= 0, from < transport.mesh.identity.count,
                  case .string(let pid)? = fields["pid"], case .string(let offset)? = fields["offset"],
                  case .string(let namespace)? = fields["nsp"]
            else { return transport.ignored("malformed restore request", on: message.channel) }
            Task {
                let restored = await local.restore(pid: pid, offset: offset, namespace: namespace)
                transport.publish(Self.channel(of: Int(from)), MessagePackWriter.encode(Self.answer(requestID, restored)))
            }
        case "restored":
            guard pending[requestID] != nil else { return }
            finish(requestID, with: Self.state(from: fields))
        default:
            transport.ignored("unknown recovery message \(type)", on: message.channel)
        }
    }

    static func answer(_ requestID: String, _ restored: RecoveredSocketState?) -> MessagePackValue {
        guard let restored else { return ["type": "restored", "requestId": .string(requestID), "found": false] }
        let state = restored.state
        return [
            "type": "restored", "requestId": .string(requestID), "found": true,
            "id": .string(state.id), "pid": .string(state.pid), "nsp": .string(state.namespace),
            "rooms": .array(state.rooms.sorted().map(MessagePackValue.string)), "data": MessagePackValue(json: state.data),
            "packets": .array(restored.missedPackets.map(\.messagePackValue)),
        ]
    }

    static func state(from fields: MessagePackMap) -> RecoveredSocketState? {
        guard fields["found"] == .bool(true), case .string(let id)? = fields["id"], case .string(let pid)? = fields["pid"],
              case .string(let namespace)? = fields["nsp"], case .array(let rooms)? = fields["rooms"],
              case .array(let packets)? = fields["packets"], let data = fields["data"],
              let json = try? JSONValue(messagePack: data)
        else { return nil }
        var missed: [SocketIOPacket] = []
        for packet in packets {
            guard let decoded = try? SocketIOPacket(messagePack: packet) else { return nil }
            missed.append(decoded)
        }
        let names = rooms.compactMap { if case .string(let room) = $0 { room } else { nil } }
        return RecoveredSocketState(state: SocketState(id: id, pid: pid, namespace: namespace, rooms: Set(names), data: json),
                                    missedPackets: missed)
    }
}
