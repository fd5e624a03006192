import Flagon
import FlagonJSON
import FlagonLoop
import FlagonMessagePack

/// Room histories across the workers of one server: each room belongs to one worker (a
/// hash of its namespace and name, the same in every worker), which numbers its messages
/// and keeps them; the others ask it over their links (``WorkerRequests``). A worker that
/// does not answer in time leaves the message unnumbered (not sent) and the replay empty.
@LoopActor
public final class WorkerRoomHistory: RoomHistoryStore {
    /// This worker's rooms.
    public let local: InMemoryRoomHistory
    private let requests: WorkerRequests
    private let identity: WorkerIdentity
    /// How long a worker waits for the owner's answer, in milliseconds (default 2 s).
    public var requestTimeout: UInt64 = 2000
    /// Requests from other workers that were not understood.
    public private(set) var malformed = 0

    private static var made: WorkerRoomHistory?

    /// The store of this worker (one per process: the requests it serves are named once);
    /// `nil` outside a worker.
    static func shared(limits: RoomHistoryLimits) -> WorkerRoomHistory? {
        if let made { return made }
        guard let requests = WorkerRequests.shared, let identity = WorkerIdentity.current else { return nil }
        let store = WorkerRoomHistory(limits: limits, requests: requests, identity: identity)
        made = store
        return store
    }

    private init(limits: RoomHistoryLimits, requests: WorkerRequests, identity: WorkerIdentity) {
        self.local = InMemoryRoomHistory(limits: limits)
        self.requests = requests
        self.identity = identity
        requests.serve("history.next") { [weak self] body in self?.answerNext(body) ?? [] }
        requests.serve("history.store") { [weak self] body in
            self?.answerStore(body)
            return []
        }
        requests.serve("history.recent") { [weak self] body in self?.answerRecent(body) ?? [] }
    }

    /// The worker that owns a room.
    func owner(_ namespace: String, _ room: String) -> Int { identity.keeper(of: namespace + "#" + room) }

    private func address(_ namespace: String, _ room: String) -> MessagePackMap { ["nsp": .string(namespace), "room": .string(room)] }

    public func nextSequence(namespace: String, room: String) async -> Int? {
        let owner = owner(namespace, room)
        if owner == identity.index { return local.nextSequenceNow(namespace: namespace, room: room) }
        guard let answer = await requests.ask(owner, "history.next", MessagePackWriter.encode(.map(address(namespace, room))),
                                              timeout: requestTimeout),
              case .map(let fields)? = try? MessagePackReader.decode(answer), case .int(let seq)? = fields["seq"]
        else { return nil }
        return Int(seq)
    }

    public func store(_ entry: RoomHistoryEntry, namespace: String, room: String) {
        let owner = owner(namespace, room)
        if owner == identity.index { return local.store(entry, namespace: namespace, room: room) }
        var message = address(namespace, room)
        message["entry"] = Self.encode(entry)
        requests.tell(owner, "history.store", MessagePackWriter.encode(.map(message)))
    }

    public func recent(namespace: String, room: String) async -> RoomHistorySlice? {
        let owner = owner(namespace, room)
        if owner == identity.index { return local.recentNow(namespace: namespace, room: room) }
        guard let answer = await requests.ask(owner, "history.recent", MessagePackWriter.encode(.map(address(namespace, room))),
                                              timeout: requestTimeout),
              case .map(let fields)? = try? MessagePackReader.decode(answer), case .int(let latest)? = fields["latest"],
              case .array(let items)? = fields["entries"]
        else { return nil }
        return RoomHistorySlice(entries: items.compactMap(Self.decode), latest: Int(latest))
    }

    // MARK: Answering the other workers

    private func room(of body: [UInt8]) -> (namespace: String, room: String, fields: MessagePackMap)? {
        guard case .map(let fields)? = try? MessagePackReader.decode(body), case .string(let namespace)? = fields["nsp"],
              case .string(let room)? = fields["room"], owner(namespace, room) == identity.index
        else {
            malformed += 1
            return nil
        }
        return (namespace, room, fields)
    }

    private func answerNext(_ body: [UInt8]) -> [UInt8] {
        guard let (namespace, room, _) = room(of: body) else { return [] }
        return MessagePackWriter.encode(["seq": .int(Int64(local.nextSequenceNow(namespace: namespace, room: room)))])
    }

    private func answerStore(_ body: [UInt8]) {
        guard let (namespace, room, fields) = room(of: body), let entry = fields["entry"].flatMap(Self.decode) else {
            malformed += 1
            return
        }
        local.store(entry, namespace: namespace, room: room)
    }

    private func answerRecent(_ body: [UInt8]) -> [UInt8] {
        guard let (namespace, room, _) = room(of: body) else { return [] }
        let slice = local.recentNow(namespace: namespace, room: room)
        return MessagePackWriter.encode(["latest": .int(Int64(slice.latest)), "entries": .array(slice.entries.map(Self.encode))])
    }

    static func encode(_ entry: RoomHistoryEntry) -> MessagePackValue {
        .array([.int(Int64(entry.seq)), .string(entry.event), MessagePackValue(json: .array(entry.arguments)), .int(Int64(entry.time))])
    }

    static func decode(_ value: MessagePackValue) -> RoomHistoryEntry? {
        guard case .array(let parts) = value, parts.count == 4, case .int(let seq) = parts[0], case .string(let event) = parts[1],
              case .array(let arguments)? = try? JSONValue(messagePack: parts[2]), case .int(let time) = parts[3]
        else { return nil }
        return RoomHistoryEntry(seq: Int(seq), event: event, arguments: arguments, time: Int(time))
    }
}
