import FlagonJSON
import FlagonMessagePack
import FlagonSocketIO
import FlagonSocketIOCore

/// How a sharded adapter spreads a namespace over shard channels, as `subscriptionMode` of
/// `@socket.io/redis-adapter`'s `createShardedAdapter` defines it.
public enum RedisShardedMode: String, Sendable, CaseIterable {
    /// Two channels per namespace: everything, and this server's responses.
    case `static`
    /// And one per public room: a broadcast to exactly one room whose name does not look
    /// like a socket id (20 characters) goes to the room's channel.
    case dynamic
    /// And one per room, private rooms (socket ids) included.
    case dynamicPrivate = "dynamic-private"
}

/// Translates between the messages ``ClusterAdapter`` publishes (the protocol of
/// `@socket.io/redis-adapter`'s `createAdapter`) and those of its `createShardedAdapter`
/// (socket.io-adapter's `ClusterAdapter`), sans-IO, so that one adapter serves both.
///
/// Sharded messages are `{"type", "data", "uid", "nsp"}` (in that order, as Node writes them),
/// JSON text unless a broadcast, an ack, fetched sockets or a server-side emit carry binary,
/// then MessagePack. On `prefix#nsp#`: everything; on `prefix#nsp#room#` (dynamic modes):
/// broadcasts to that one room; on `prefix#nsp#uid#`: the responses meant for server `uid`.
///
/// ```swift
/// var dialect = ShardedDialect(prefix: "socket.io", mode: .dynamic, uid: "Fz3Ch9")
/// let out = try dialect.outgoing(channel: "socket.io-request#/#", payload: request)   // (channel: "socket.io#/#", …)
/// ```
struct ShardedDialect {
    /// socket.io-adapter's `MessageType`.
    enum MessageType: Int {
        case initialHeartbeat = 1, heartbeat, broadcast, socketsJoin, socketsLeave, disconnectSockets, fetchSockets
        case fetchSocketsResponse, serverSideEmit, serverSideEmitResponse, broadcastClientCount, broadcastAck, adapterClose
    }

    let prefix: String
    let mode: RedisShardedMode
    /// This server's id: its responses channel, and what it ignores of its own.
    let uid: String
    /// Requests of the older kinds (`sockets`, `allRooms`), asked as FETCH_SOCKETS (the
    /// sharded protocol has no such kinds): what to make of the answers, by request id.
    private var emulated: [String: ClusterRequestType] = [:]
    private var emulatedOrder: [String] = []
    private static let maxEmulated = 1024

    init(prefix: String, mode: RedisShardedMode, uid: String) {
        self.prefix = prefix
        self.mode = mode
        self.uid = uid
    }

    // MARK: Channels

    /// The classic channels of a namespace (what ``ClusterAdapter`` names).
    enum ClassicChannel: Equatable {
        case broadcast(namespace: String)
        case room(namespace: String, room: String)
        case request(namespace: String)
        case response(namespace: String, uid: String?)
    }

    /// What a classic channel is; `nil` when it is none of this prefix's.
    func classic(_ channel: String) -> ClassicChannel? {
        func split(_ rest: Substring) -> (namespace: String, tail: Substring)? {
            guard rest.hasPrefix("/"), let hash = rest.firstIndex(of: "#") else { return nil }
            return (String(rest[..<hash]), rest[rest.index(after: hash)...])
        }
        if channel.hasPrefix(prefix + "-response#"), let (namespace, tail) = split(channel.dropFirst(prefix.count + 10)) {
            if tail.isEmpty { return .response(namespace: namespace, uid: nil) }
            guard tail.hasSuffix("#"), tail.count > 1 else { return nil }
            return .response(namespace: namespace, uid: String(tail.dropLast()))
        }
        if channel.hasPrefix(prefix + "-request#"), let (namespace, tail) = split(channel.dropFirst(prefix.count + 9)), tail.isEmpty {
            return .request(namespace: namespace)
        }
        if channel.hasPrefix(prefix + "#"), let (namespace, tail) = split(channel.dropFirst(prefix.count + 1)) {
            if tail.isEmpty { return .broadcast(namespace: namespace) }
            guard tail.hasSuffix("#"), tail.count > 1 else { return nil }
            return .room(namespace: namespace, room: String(tail.dropLast()))
        }
        return nil
    }

    /// A namespace's channel for everything.
    func mainChannel(_ namespace: String) -> String { prefix + "#" + namespace + "#" }

    /// The channel of one room, or of the responses to server `uid`.
    func channel(_ namespace: String, _ name: String) -> String { mainChannel(namespace) + name + "#" }

    /// The shard channel to follow for a classic subscription: the namespace's main channel
    /// for its broadcasts, a room's in the dynamic modes (the rooms a server broadcasting
    /// to them would publish on), this server's responses; requests and the shared
    /// responses have no channel of their own.
    func shardChannel(subscribing channel: String) -> String? {
        switch classic(channel) {
        case .broadcast(let namespace)?: return mainChannel(namespace)
        case .room(let namespace, let room)?: return usesRoomChannel(room) ? self.channel(namespace, room) : nil
        case .response(let namespace, let owner?)? where owner == uid: return self.channel(namespace, uid)
        default: return nil
        }
    }

    /// The channel whose subscribers are the servers of the namespace of a classic channel.
    func serversChannel(for channel: String) -> String? {
        switch classic(channel) {
        case .broadcast(let namespace)?, .room(let namespace, _)?, .request(let namespace)?, .response(let namespace, _)?:
            return mainChannel(namespace)
        case nil: return nil
        }
    }

    /// Whether a broadcast to exactly this one room goes to the room's channel.
    func usesRoomChannel(_ room: String) -> Bool {
        switch mode {
        case .static: false
        case .dynamic: room.count != 20   // what Node takes for one of its socket ids stays on the main channel
        case .dynamicPrivate: true
        }
    }

    // MARK: Outgoing

    /// The sharded message for what ``ClusterAdapter`` publishes on `channel`; `nil` when it
    /// has no sharded form (an answer to the older one-socket requests).
    mutating func outgoing(channel: String, payload: [UInt8]) throws(ClusterMessageError) -> (channel: String, payload: [UInt8])? {
        switch classic(channel) {
        case .broadcast(let namespace)?, .room(let namespace, _)?:
            let broadcast = try ClusterBroadcast.decode(payload)
            let data: JSONObject = ["packet": try Self.json(broadcast.packet.messagePackValue),
                                    "opts": ["rooms": Self.list(broadcast.rooms), "except": Self.list(broadcast.except),
                                             "flags": try Self.json(.map(broadcast.flags))]]
            let target = broadcast.rooms.count == 1 && usesRoomChannel(broadcast.rooms[0])
                ? self.channel(namespace, broadcast.rooms[0]) : mainChannel(namespace)
            return (target, encode(.broadcast, data, namespace: namespace))
        case .request(let namespace)?:
            return (mainChannel(namespace), try request(ClusterAdapterMessage.decode(payload), namespace: namespace))
        case .response(let namespace, let requester?)?:
            guard let (type, data) = try response(ClusterAdapterMessage.decode(payload)) else { return nil }
            return (self.channel(namespace, requester), encode(type, data, namespace: namespace))
        case .response(_, nil)?:
            throw ClusterMessageError("a response for no server in particular has no sharded channel")
        case nil:
            throw ClusterMessageError("not a channel of the adapter")
        }
    }

    private mutating func request(_ message: ClusterAdapterMessage, namespace: String) throws(ClusterMessageError) -> [UInt8] {
        let fields = message.fields
        let opts = Self.options(fields["opts"])
        guard let type = message.type else { throw ClusterMessageError("a request without a known type") }
        switch type {
        case .broadcast:
            guard let requestID = message.requestId, let packet = fields["packet"] else { throw ClusterMessageError("a broadcast with ack needs a packet and a request id") }
            return encode(.broadcast, ["packet": packet, "requestId": .string(requestID), "opts": opts], namespace: namespace)
        case .remoteJoin, .remoteLeave:
            return encode(type == .remoteJoin ? .socketsJoin : .socketsLeave, ["opts": opts, "rooms": fields["rooms"] ?? []], namespace: namespace)
        case .remoteDisconnect:
            return encode(.disconnectSockets, ["opts": opts, "close": fields["close"] ?? false], namespace: namespace)
        case .remoteFetch:
            guard let requestID = message.requestId else { throw ClusterMessageError("a fetch without a request id") }
            return encode(.fetchSockets, ["opts": opts, "requestId": .string(requestID)], namespace: namespace)
        case .serverSideEmit:
            var data: JSONObject = [:]
            if let requestID = message.requestId { data["requestId"] = .string(requestID) }
            data["packet"] = fields["data"] ?? []
            return encode(.serverSideEmit, data, namespace: namespace)
        case .sockets, .allRooms:
            guard let requestID = message.requestId else { throw ClusterMessageError("a question without a request id") }
            remember(requestID, type)
            let rooms: JSONValue = type == .sockets ? (fields["rooms"] ?? []) : []
            let options: JSONValue = ["rooms": rooms, "except": [], "flags": [:]]
            return encode(.fetchSockets, ["opts": options, "requestId": .string(requestID)], namespace: namespace)
        case .broadcastClientCount, .broadcastAck:
            throw ClusterMessageError("a response sent as a request")
        }
    }

    private func response(_ message: ClusterAdapterMessage) throws(ClusterMessageError) -> (MessageType, JSONObject)? {
        let fields = message.fields
        guard let requestID = message.requestId else { throw ClusterMessageError("a response without a request id") }
        switch message.type {
        case .broadcastClientCount?: return (.broadcastClientCount, ["requestId": .string(requestID), "clientCount": fields["clientCount"] ?? 0])
        case .broadcastAck?: return (.broadcastAck, ["requestId": .string(requestID), "packet": fields["packet"] ?? .null])
        case .serverSideEmit?: return (.serverSideEmitResponse, ["requestId": .string(requestID), "packet": fields["data"] ?? .null])
        default:
            guard let sockets = fields["sockets"] else { return nil }   // an answer to a one-socket request: none in this protocol
            return (.fetchSocketsResponse, ["requestId": .string(requestID), "sockets": sockets])
        }
    }

    /// The messages Node writes as MessagePack when they carry binary.
    private static let mayCarryBinary: Set<MessageType> = [.broadcast, .broadcastAck, .fetchSocketsResponse, .serverSideEmit, .serverSideEmitResponse]

    /// `{"type", "data", "uid", "nsp"}`: MessagePack when a message that may carry binary
    /// does, JSON text otherwise (Node's rule).
    func encode(_ type: MessageType, _ data: JSONObject, namespace: String) -> [UInt8] {
        let message: JSONValue = ["type": .int(type.rawValue), "data": .object(data), "uid": .string(uid), "nsp": .string(namespace)]
        if Self.mayCarryBinary.contains(type) && Self.hasBinary(.object(data)) { return MessagePackWriter.encode(MessagePackValue(json: message)) }
        return Array(message.jsonString.utf8)
    }

    // MARK: Incoming

    /// What ``ClusterAdapter`` should receive for a sharded message on `channel`, as the
    /// classic channel and bytes; `nil` when there is nothing to deliver (this server's own
    /// message, a heartbeat).
    mutating func incoming(channel: String, payload: [UInt8]) throws(ClusterMessageError) -> (channel: String, payload: [UInt8])? {
        switch classic(channel) {
        case .broadcast(let namespace)?: return try deliver(payload, namespace: namespace, roomChannel: nil)
        case .room(let namespace, let name)?: return try deliver(payload, namespace: namespace, roomChannel: name == uid ? nil : name)
        default: throw ClusterMessageError("not a shard channel of the adapter")
        }
    }

    private mutating func deliver(_ payload: [UInt8], namespace: String, roomChannel: String?) throws(ClusterMessageError) -> (channel: String, payload: [UInt8])? {
        let message = try ClusterAdapterMessage.decode(payload)
        let fields = message.fields
        guard let rawType = fields["type"]?.intValue, let type = MessageType(rawValue: rawType) else { throw ClusterMessageError("no known message type") }
        guard let sender = message.uid else { throw ClusterMessageError("a message without uid") }
        if sender == uid { return nil }
        if let nsp = fields["nsp"]?.stringValue, nsp != namespace { throw ClusterMessageError("a message of \(nsp) on a channel of \(namespace)") }
        let data = fields["data"]?.objectValue ?? [:]
        let requestChannel = prefix + "-request#" + namespace + "#"
        let responseChannel = prefix + "-response#" + namespace + "#" + uid + "#"
        func request(_ classic: ClusterRequestType, _ rest: JSONObject, requestID: Bool = false) -> (String, [UInt8]) {
            var out: JSONObject = ["uid": .string(sender)]
            if requestID, let id = data["requestId"] { out["requestId"] = id }
            out["type"] = .int(classic.rawValue)
            for member in rest { out[member.key] = member.value }
            return (requestChannel, ClusterAdapterMessage(out).encodedMessagePack())
        }
        switch type {
        case .initialHeartbeat, .heartbeat, .adapterClose:
            return nil
        case .broadcast:
            guard case .object(var packetFields)? = data["packet"] else { throw ClusterMessageError("a broadcast without a packet") }
            if packetFields["nsp"] == nil { packetFields["nsp"] = .string(namespace) }
            if data["requestId"] != nil {
                return request(.broadcast, ["packet": .object(packetFields), "opts": data["opts"] ?? [:]], requestID: true)
            }
            let opts = data["opts"]
            let packet: SocketIOPacket
            do {
                packet = try SocketIOPacket(messagePack: MessagePackValue(json: .object(packetFields)))
            } catch {
                throw ClusterMessageError("invalid packet: \(error)")
            }
            guard let rooms = ClusterAdapter.rooms(opts?["rooms"]), let except = ClusterAdapter.rooms(opts?["except"]) else {
                throw ClusterMessageError("malformed opts")
            }
            let flags = MessagePackValue(json: opts?["flags"] ?? [:]).mapValue ?? [:]
            let broadcast = ClusterBroadcast(uid: sender, packet: packet, rooms: rooms, except: except, flags: flags)
            return (roomChannel.map { channel(namespace, $0) } ?? mainChannel(namespace), broadcast.encoded())
        case .socketsJoin, .socketsLeave:
            return request(type == .socketsJoin ? .remoteJoin : .remoteLeave, ["opts": data["opts"] ?? [:], "rooms": data["rooms"] ?? []])
        case .disconnectSockets:
            return request(.remoteDisconnect, ["opts": data["opts"] ?? [:], "close": data["close"] ?? false])
        case .fetchSockets:
            return request(.remoteFetch, ["opts": data["opts"] ?? [:]], requestID: true)
        case .serverSideEmit:
            return request(.serverSideEmit, ["data": data["packet"] ?? []], requestID: true)
        case .fetchSocketsResponse, .serverSideEmitResponse, .broadcastClientCount, .broadcastAck:
            guard let requestID = data["requestId"]?.stringValue else { throw ClusterMessageError("a response without a request id") }
            var out: JSONObject = [:]
            switch type {
            case .fetchSocketsResponse:
                out = fetchAnswer(requestID: requestID, sockets: data["sockets"] ?? [])
            case .serverSideEmitResponse:
                out = ["type": .int(ClusterRequestType.serverSideEmit.rawValue), "requestId": .string(requestID), "data": data["packet"] ?? .null]
            case .broadcastClientCount:
                out = ["type": .int(ClusterRequestType.broadcastClientCount.rawValue), "requestId": .string(requestID),
                       "clientCount": data["clientCount"] ?? 0]
            default:
                out = ["type": .int(ClusterRequestType.broadcastAck.rawValue), "requestId": .string(requestID), "packet": data["packet"] ?? .null]
            }
            return (responseChannel, ClusterAdapterMessage(out).encodedMessagePack())
        }
    }

    /// The answer to a fetch, or to an older question asked as one.
    private mutating func fetchAnswer(requestID: String, sockets: JSONValue) -> JSONObject {
        let items = sockets.arrayValue ?? []
        switch emulated[requestID] {
        case .sockets?:
            return ["requestId": .string(requestID), "sockets": .array(items.compactMap { $0["id"] })]
        case .allRooms?:
            var rooms: [JSONValue] = []
            var seen: Set<String> = []
            for socket in items {
                for room in socket["rooms"]?.arrayValue ?? [] where room.stringValue.map({ seen.insert($0).inserted }) == true { rooms.append(room) }
            }
            return ["requestId": .string(requestID), "rooms": .array(rooms)]
        default:
            return ["requestId": .string(requestID), "sockets": sockets]
        }
    }

    private mutating func remember(_ requestID: String, _ type: ClusterRequestType) {
        emulated[requestID] = type
        emulatedOrder.append(requestID)
        if emulatedOrder.count > Self.maxEmulated { emulated[emulatedOrder.removeFirst()] = nil }
    }

    // MARK: Values

    private static func json(_ value: MessagePackValue) throws(ClusterMessageError) -> JSONValue {
        do {
            return try JSONValue(messagePack: value)
        } catch {
            throw ClusterMessageError(error.message)
        }
    }

    private static func list(_ rooms: [String]) -> JSONValue { .array(rooms.map(JSONValue.string)) }

    /// `{rooms, except, flags}` with `flags` as Node always sends it (an object).
    private static func options(_ opts: JSONValue?) -> JSONValue {
        ["rooms": opts?["rooms"] ?? [], "except": opts?["except"] ?? [], "flags": opts?["flags"] ?? [:]]
    }

    static func hasBinary(_ value: JSONValue) -> Bool {
        switch value {
        case .binary: true
        case .array(let items): items.contains(where: hasBinary)
        case .object(let object): object.contains { hasBinary($0.value) }
        default: false
        }
    }
}
