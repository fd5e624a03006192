import Flagon
import FlagonJSON
import FlagonLoop
import FlagonMessagePack
import FlagonSocketIOCore

/// Connection state recovery across the workers of one server: each worker keeps its own
/// disconnected sockets and a log of every broadcast that reached it (its own, and the other
/// workers', which it follows while recovery is on), in the order its sockets got them. A
/// client that comes back on another worker is recovered there: that worker asks the one its
/// `pid` names for the state and the missed broadcasts, one request over their link
/// (``WorkerRequests``). The
/// recovered socket gets a `pid` of its new worker.
///
/// A ``SocketIOServer`` with ``SocketIOOptions/connectionStateRecovery`` uses it by default
/// in a worker.
@LoopActor
public final class WorkerConnectionStateStore: ConnectionStateStore {
    /// This worker's sockets and log.
    public let local: InMemoryConnectionStateStore
    private let requests: WorkerRequests
    private let transport: WorkerMeshTransport
    /// How long a worker waits for another's answer, in milliseconds (default 2 s; then a fresh session).
    public var requestTimeout: UInt64 = 2000

    /// A store with these limits over the workers' links.
    public init(settings: ConnectionStateRecovery, transport: WorkerMeshTransport, requests: WorkerRequests) {
        self.local = InMemoryConnectionStateStore(settings: settings)
        self.transport = transport
        self.requests = requests
        requests.serve("recovery.restore") { [weak self] body in await self?.answerRestore(body) ?? [] }
    }

    public func record(_ packet: SocketIOPacket, target: BroadcastTarget, send: @escaping @LoopActor (SocketIOPacket) -> Void) {
        local.record(packet, target: target, send: send)
    }

    public func observe(_ packet: SocketIOPacket, target: BroadcastTarget) { local.observe(packet, target: target) }

    public func save(_ state: SocketState, connected: Bool) { local.save(state, connected: connected) }

    public func discard(pid: String) { local.discard(pid: pid) }

    public var keepsConnectedStates: Bool { false }

    public func restore(pid: String, offset: String, namespace: String) async -> RecoveredSocketState? {
        guard let owner = WorkerIDs.owner(of: pid), owner != transport.mesh.identity.index else {
            return await local.restore(pid: pid, offset: offset, namespace: namespace)
        }
        let request: MessagePackValue = ["pid": .string(pid), "offset": .string(offset), "nsp": .string(namespace)]
        guard let answer = await requests.ask(owner, "recovery.restore", MessagePackWriter.encode(request), timeout: requestTimeout),
              case .map(let fields)? = try? MessagePackReader.decode(answer)
        else { return nil }
        guard var restored = Self.state(from: fields) else { return nil }
        restored.state.pid = EngineSession.makeID()   // this worker's now
        return restored
    }

    private func answerRestore(_ body: [UInt8]) async -> [UInt8] {
        guard case .map(let fields)? = try? MessagePackReader.decode(body), case .string(let pid)? = fields["pid"],
              case .string(let offset)? = fields["offset"], case .string(let namespace)? = fields["nsp"]
        else {
            transport.ignored("malformed recovery request", on: "recovery.restore")
            return MessagePackWriter.encode(Self.answer(nil))
        }
        return MessagePackWriter.encode(Self.answer(await local.restore(pid: pid, offset: offset, namespace: namespace)))
    }

    static func answer(_ restored: RecoveredSocketState?) -> MessagePackValue {
        guard let restored else { return ["found": false] }
        let state = restored.state
        return [
            "found": true,
            "id": .string(state.id), "pid": .string(state.pid), "nsp": .string(state.namespace),
            "rooms": .array(state.rooms.sorted().map(MessagePackValue.string)), "data": MessagePackValue(json: state.data),
            "credentials": MessagePackValue(json: state.credentials?.json ?? .null),
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
        let credentials = fields["credentials"].flatMap { try? JSONValue(messagePack: $0) }
        return RecoveredSocketState(state: SocketState(id: id, pid: pid, namespace: namespace, rooms: Set(names), data: json,
                                                       credentials: SocketCredentials(json: credentials)),
                                    missedPackets: missed)
    }
}
