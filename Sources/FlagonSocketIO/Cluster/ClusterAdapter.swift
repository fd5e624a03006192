import Flagon
import FlagonJSON
import FlagonLoop
import FlagonMessagePack
import FlagonSocketIOCore

/// The adapter of one namespace in a cluster of servers, speaking `@socket.io/redis-adapter`'s
/// protocol over a ``ClusterTransport``: its local rooms are an ``InMemoryAdapter``;
/// broadcasts, room operations and questions about sockets also go to the other servers
/// (Flagon workers, Flagon or Node servers on Redis) through the transport, unless the
/// target is `local`. The workers of one server share one over their links
/// (``WorkerMeshTransport``); `RedisCluster.makeAdapter` makes one on Redis.
///
/// ```swift
/// let sio = SocketIOServer(adapter: { ClusterAdapter(namespace: $0, transport: transport) })
/// ```
@LoopActor
public final class ClusterAdapter: SocketIOAdapter {
    /// The namespace served.
    public unowned let namespace: Namespace
    /// Its channels.
    public let channels: ClusterChannels
    /// The rooms and sockets of this process.
    public let local: InMemoryAdapter
    /// What carries its messages to the other servers.
    public let transport: any ClusterTransport
    var requests: [String: PendingRequest] = [:]
    var ackRequests: [String: AckRequest] = [:]

    /// The adapter of `namespace` over `transport`.
    public init(namespace: Namespace, transport: any ClusterTransport) {
        self.namespace = namespace
        self.transport = transport
        self.local = InMemoryAdapter(namespace: namespace)
        self.channels = ClusterChannels(prefix: transport.prefix, namespace: namespace.name)
        transport.subscribe(channels.request, for: self)
        transport.subscribe(channels.response, for: self)
        transport.subscribe(channels.response(for: transport.serverID), for: self)
        switch transport.routing {
        case .targeted: transport.subscribe(channels.broadcast, for: self)
        case .pattern: transport.subscribe(pattern: channels.broadcastPattern, for: self)
        }
    }

    var uid: String { transport.serverID }
    private var targeted: Bool { transport.routing == .targeted }

    // MARK: Rooms (local, with the room channels followed while they have members here)

    public func join(_ socketID: String, rooms: some Sequence<String>) {
        guard targeted else { return local.join(socketID, rooms: rooms) }
        for room in rooms {
            let isNew = room == socketID || !local.hasMembers(room)
            local.join(socketID, rooms: CollectionOfOne(room))
            if isNew { transport.subscribe(channels.room(room), for: self) }
        }
    }

    public func leave(_ socketID: String, room: String) {
        local.leave(socketID, room: room)
        if targeted && room != socketID && !local.hasMembers(room) { transport.unsubscribe(channels.room(room)) }
    }

    public func leaveAll(_ socketID: String) {
        let rooms = local.rooms(of: socketID)
        local.leaveAll(socketID)
        guard targeted else { return }
        transport.unsubscribe(channels.room(socketID))
        for room in rooms where room != socketID && !local.hasMembers(room) { transport.unsubscribe(channels.room(room)) }
    }

    public func rooms(of socketID: String) -> Set<String> { local.rooms(of: socketID) }
    public func socketIDs(_ target: BroadcastTarget) -> [String] { local.socketIDs(target) }
    public var allRooms: Set<String> { local.allRooms }

    // MARK: Broadcasts

    @discardableResult
    public func broadcast(_ packet: SocketIOPacket, to target: BroadcastTarget) -> Int {
        if !target.local {
            var flags: MessagePackMap = [:]
            if target.volatile { flags["volatile"] = true }
            let message = ClusterBroadcast(uid: uid, packet: packet, rooms: target.rooms.sorted(), except: target.except.sorted(), flags: flags)
            transport.publish(message.channel(in: channels), message.encoded())
        }
        return local.broadcast(packet, to: target)
    }

    public func broadcastWithAck(_ packet: SocketIOPacket, to target: BroadcastTarget, timeout: UInt64,
                                 onClientCount: @escaping @LoopActor (Int) -> Void,
                                 onAck: @escaping @LoopActor (JSONValue) -> Void) {
        if !target.local {
            let requestID = Self.randomID(length: 8)
            var request: MessagePackMap = [
                "uid": .string(uid), "requestId": .string(requestID), "type": .int(Int64(ClusterRequestType.broadcast.rawValue)),
                "packet": packet.messagePackValue,
                "opts": ["rooms": roomList(target.rooms), "except": roomList(target.except), "flags": ["timeout": .int(Int64(timeout))]],
            ]
            if target.volatile { request["opts"]?.setFlag("volatile") }
            if transport.publish(channels.request, MessagePackWriter.encode(.map(request))) {
                ackRequests[requestID] = AckRequest(onClientCount: onClientCount, onAck: onAck)
                // Node's adapter forgets the request after the timeout: answers after it are dropped.
                let timer = LoopTimer { [weak self] in self?.ackRequests.removeValue(forKey: requestID)?.timer?.close() }
                ackRequests[requestID]?.timer = timer
                timer.start(afterMilliseconds: timeout)
            }
        }
        local.broadcastWithAck(packet, to: target, timeout: timeout, onClientCount: onClientCount, onAck: onAck)
    }

    public func serverCount() async -> Int {
        max(1, await transport.subscriberCount(channels.request) ?? 1)
    }

    // MARK: Operations on sockets

    public func addSockets(_ target: BroadcastTarget, rooms: [String]) {
        local.addSockets(target, rooms: rooms)
        guard !target.local else { return }
        publishRequest(.remoteJoin, ["opts": options(target), "rooms": .array(rooms.map(JSONValue.string))])
    }

    public func removeSockets(_ target: BroadcastTarget, rooms: [String]) {
        local.removeSockets(target, rooms: rooms)
        guard !target.local else { return }
        publishRequest(.remoteLeave, ["opts": options(target), "rooms": .array(rooms.map(JSONValue.string))])
    }

    public func disconnectSockets(_ target: BroadcastTarget, close: Bool) {
        // Published first: the local disconnects may change the rooms the target names.
        if !target.local { publishRequest(.remoteDisconnect, ["opts": options(target), "close": .bool(close)]) }
        local.disconnectSockets(target, close: close)
    }

    public func fetchSockets(_ target: BroadcastTarget) async -> [RemoteSocket] {
        let sockets = local.localSockets(target)
        guard !target.local else { return sockets }
        let answers = await ask(.remoteFetch, ["opts": options(target)], othersAnswering: { $0 - 1 })
        var all = sockets
        for answer in answers.responses {
            guard case .array(let items)? = answer["sockets"] else { continue }
            for item in items { if let socket = RemoteSocket(json: item, namespace: namespace) { all.append(socket) } }
        }
        return all
    }

    /// The ids of the sockets in any of `rooms` (all when empty), on every server
    /// (socket.io's `adapter.sockets(rooms)`).
    public func clusterSocketIDs(rooms: Set<String>) async -> Set<String> {
        var ids = Set(local.socketIDs(BroadcastTarget(rooms: rooms)))
        let answers = await ask(.sockets, ["rooms": roomList(rooms).json], othersAnswering: { $0 - 1 })
        for answer in answers.responses {
            if case .array(let items)? = answer["sockets"] { ids.formUnion(items.compactMap(\.stringValue)) }
        }
        return ids
    }

    /// The rooms with members on any server (socket.io's `adapter.allRooms()`).
    public func clusterRooms() async -> Set<String> {
        var rooms = local.allRooms
        let answers = await ask(.allRooms, [:], othersAnswering: { $0 - 1 })
        for answer in answers.responses {
            if case .array(let items)? = answer["rooms"] { rooms.formUnion(items.compactMap(\.stringValue)) }
        }
        return rooms
    }

    public func serverSideEmit(_ data: [JSONValue]) {
        publishRequest(.serverSideEmit, ["data": .array(data)])
    }

    public func serverSideEmitWithAck(_ data: [JSONValue], timeout: UInt64?) async -> ServerSideEmitAnswers {
        let answers = await ask(.serverSideEmit, ["data": .array(data)], timeout: timeout, othersAnswering: { $0 - 1 })
        return ServerSideEmitAnswers(responses: answers.responses.map { $0["data"] ?? .null }, timedOut: answers.timedOut)
    }

    public func close() {
        for channel in [channels.request, channels.response, channels.response(for: uid), channels.broadcast] {
            transport.unsubscribe(channel)
        }
        for room in local.allRooms { transport.unsubscribe(channels.room(room)) }
    }

    // MARK: Requests to the other servers

    struct PendingRequest {
        let type: ClusterRequestType
        var expected: Int
        var responses: [JSONObject] = []
        let timer: LoopTimer
        let done: CheckedContinuation<(responses: [JSONObject], timedOut: Bool), Never>
    }

    struct AckRequest {
        let onClientCount: @LoopActor (Int) -> Void
        let onAck: @LoopActor (JSONValue) -> Void
        var timer: LoopTimer?
    }

    private func publishRequest(_ type: ClusterRequestType, _ fields: JSONObject, requestID: String? = nil) {
        var message: JSONObject = ["uid": .string(uid)]
        if let requestID { message["requestId"] = .string(requestID) }
        message["type"] = .int(type.rawValue)
        for member in fields { message[member.key] = member.value }
        transport.publish(channels.request, ClusterAdapterMessage(message).encodedJSON())
    }

    /// Publishes a request and waits for the answers of the other servers (how many:
    /// `othersAnswering(subscribers)`), or for the timeout.
    private func ask(_ type: ClusterRequestType, _ fields: JSONObject, timeout: UInt64? = nil,
                     othersAnswering: (Int) -> Int) async -> (responses: [JSONObject], timedOut: Bool) {
        guard let subscribers = await transport.subscriberCount(channels.request) else { return ([], false) }
        let expected = othersAnswering(subscribers)
        guard expected > 0 else { return ([], false) }
        let requestID = Self.randomID(length: 8)
        return await withCheckedContinuation { continuation in
            let timer = LoopTimer { [weak self] in self?.finishRequest(requestID, timedOut: true) }
            requests[requestID] = PendingRequest(type: type, expected: expected, timer: timer, done: continuation)
            timer.start(afterMilliseconds: timeout ?? transport.requestsTimeout)
            publishRequest(type, fields, requestID: requestID)
        }
    }

    func finishRequest(_ requestID: String, timedOut: Bool) {
        guard let request = requests.removeValue(forKey: requestID) else { return }
        request.timer.close()
        request.done.resume(returning: (request.responses, timedOut))
    }

    // MARK: Conversions

    private func options(_ target: BroadcastTarget) -> JSONValue {
        ["rooms": .array(target.rooms.sorted().map(JSONValue.string)), "except": .array(target.except.sorted().map(JSONValue.string))]
    }

    private func roomList(_ rooms: Set<String>) -> MessagePackValue { .array(rooms.sorted().map(MessagePackValue.string)) }

    /// Room names as Node sends them (numbers allowed, as their decimal text); absent is
    /// none; `nil` when it is not a list of names.
    public nonisolated static func rooms(_ value: JSONValue?) -> [String]? {
        guard let value, value != .null else { return [] }
        guard case .array(let items) = value else { return nil }
        var rooms: [String] = []
        for item in items {
            switch item {
            case .string(let room): rooms.append(room)
            case .int(let number): rooms.append(String(number))
            default: return nil
            }
        }
        return rooms
    }

    /// The target of a request's `opts`; `nil` when they are not `{rooms, except}` lists.
    static func target(_ opts: JSONValue?) -> BroadcastTarget? {
        guard case .object? = opts, let rooms = Self.rooms(opts?["rooms"]), let except = Self.rooms(opts?["except"]) else { return nil }
        return BroadcastTarget(rooms: Set(rooms), except: Set(except))
    }
}

extension ClusterAdapter {
    /// A random id of `length` letters and digits (request ids, server ids).
    public static func randomID(length: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        var generator = SystemRandomNumberGenerator()
        return String(decoding: (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }, as: UTF8.self)
    }
}

extension MessagePackValue {
    /// Sets a flag in an adapter's `opts.flags`.
    fileprivate mutating func setFlag(_ name: String) {
        guard case .map(var opts) = self, case .map(var flags)? = opts["flags"] else { return }
        flags[name] = true
        opts["flags"] = .map(flags)
        self = .map(opts)
    }

    /// The value as JSON (room lists).
    fileprivate var json: JSONValue { (try? JSONValue(messagePack: self)) ?? .null }
}
