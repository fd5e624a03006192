import FlagonJSON
import FlagonLoop
import FlagonMessagePack
import FlagonSocketIOCore

/// Emits into a Socket.IO cluster from a process that runs no server (a worker, a cron job,
/// a command-line tool), publishing exactly what `@socket.io/redis-emitter` publishes, so
/// that every server of the cluster (Flagon or Node) delivers it.
///
/// ```swift
/// let emitter = try await RedisEmitter.connect(url: "redis://127.0.0.1:6379")
/// emitter.of("/chat").to("lobby").except("muted").emit("news", "deploy done")
/// emitter.of("/chat").to("lobby").socketsJoin("announcements")
/// await emitter.flush()
/// emitter.close()
/// ```
@LoopActor
public final class RedisEmitter {
    /// The `uid` of every message from an emitter (as Node's emitter sends it).
    public static let uid = "emitter"
    /// The key prefix of the channels.
    public let prefix: String
    /// Publishes dropped: Redis away (the emitter reconnects by itself meanwhile), or too far behind.
    public private(set) var dropped = 0
    /// Times the connection was made again after it was lost.
    public private(set) var reconnections = 0
    private let endpoint: RedisEndpoint
    private var connection: RedisConnection?
    private var closed = false
    private var reconnectDelay: UInt64 = 100

    private init(connection: RedisConnection, endpoint: RedisEndpoint, prefix: String) {
        self.endpoint = endpoint
        self.prefix = prefix
        adopt(connection)
    }

    /// Connects to the cluster's Redis. A connection lost later is made again by itself
    /// (100 ms doubling to 5 s); what is emitted meanwhile is dropped and counted.
    /// `tls` applies to a `rediss://` URL.
    public static func connect(url: String, prefix: String = "socket.io", tls: RedisTLSOptions = RedisTLSOptions())
        async throws(RedisClusterError) -> RedisEmitter {
        var endpoint = try RedisEndpoint(url: url)
        endpoint.tls = tls
        let connection = try await endpoint.open()
        return RedisEmitter(connection: connection, endpoint: endpoint, prefix: prefix)
    }

    /// `true` while the emitter is connected.
    public var isConnected: Bool { connection?.isOpen == true }

    /// A namespace of the cluster.
    public func of(_ namespace: String) -> RedisEmitterOperator {
        RedisEmitterOperator(emitter: self, namespace: namespace.hasPrefix("/") ? namespace : "/" + namespace)
    }

    /// Emits to every socket of the main namespace.
    @discardableResult
    public func emit(_ event: String, _ args: JSONValue...) -> Bool { of("/").emit(event, arguments: args) }

    /// Sends an event to the main namespace's handlers on every server.
    @discardableResult
    public func serverSideEmit(_ event: String, _ args: JSONValue...) -> Bool { of("/").serverSideEmit(event, arguments: args) }

    /// Waits until Redis has received everything published so far; `false` when the
    /// connection was lost.
    @discardableResult
    public func flush() async -> Bool {
        guard let connection else { return false }
        return (try? await connection.command("PING")) != nil
    }

    /// Closes the connection and stops reconnecting.
    public func close() {
        closed = true
        connection?.close()
        connection = nil
    }

    func publish(_ channel: String, _ payload: [UInt8]) -> Bool {
        guard let connection, connection.isOpen, connection.pendingWriteBytes < 16 << 20,
              connection.send([Array("PUBLISH".utf8), Array(channel.utf8), payload])
        else {
            dropped += 1
            return false
        }
        return true
    }

    private func adopt(_ connection: RedisConnection) {
        self.connection = connection
        connection.onClose = { [weak self] in self?.lost() }
    }

    private func lost() {
        connection = nil
        guard !closed else { return }
        let delay = reconnectDelay
        reconnectDelay = min(reconnectDelay * 2, 5000)
        Task { [weak self] in
            await LoopTimer.sleep(milliseconds: delay)
            guard let self, !self.closed else { return }
            do {
                let connection = try await self.endpoint.open()
                guard !self.closed else { return connection.close() }
                self.reconnections += 1
                self.reconnectDelay = 100
                self.adopt(connection)
            } catch {
                self.lost()
            }
        }
    }
}

/// Targets of a ``RedisEmitter``: a namespace, rooms, excluded rooms, flags.
@LoopActor
public struct RedisEmitterOperator {
    let emitter: RedisEmitter
    /// The namespace.
    public let namespace: String
    /// The rooms targeted (all sockets when empty).
    public private(set) var rooms: [String] = []
    /// The rooms excluded.
    public private(set) var except: [String] = []
    private var isVolatile = false

    init(emitter: RedisEmitter, namespace: String) {
        self.emitter = emitter
        self.namespace = namespace
    }

    private var channels: RedisAdapterChannels { RedisAdapterChannels(prefix: emitter.prefix, namespace: namespace) }

    /// Also targets a room.
    public func to(_ room: String) -> RedisEmitterOperator { to([room]) }

    /// Also targets rooms.
    public func to(_ rooms: [String]) -> RedisEmitterOperator {
        var copy = self
        for room in rooms where !copy.rooms.contains(room) { copy.rooms.append(room) }
        return copy
    }

    /// Excludes a room.
    public func except(_ room: String) -> RedisEmitterOperator { except([room]) }

    /// Excludes rooms.
    public func except(_ rooms: [String]) -> RedisEmitterOperator {
        var copy = self
        for room in rooms where !copy.except.contains(room) { copy.except.append(room) }
        return copy
    }

    /// Lets recipients whose transport is busy miss the event.
    public var volatile: RedisEmitterOperator {
        var copy = self
        copy.isVolatile = true
        return copy
    }

    /// Emits an event; `false` when it could not be published.
    @discardableResult
    public func emit(_ event: String, _ args: JSONValue...) -> Bool { emit(event, arguments: args) }

    /// Emits an event; `false` when it could not be published.
    @discardableResult
    public func emit(_ event: String, arguments: [JSONValue]) -> Bool {
        let packet = SocketIOPacket(type: .event, namespace: namespace, data: .array([.string(event)] + arguments))
        return emitter.publish(broadcastChannel, Self.broadcastMessage(packet: packet, rooms: rooms, except: except, volatile: isVolatile))
    }

    /// The channel of an emit: the room's when exactly one is targeted.
    var broadcastChannel: String { rooms.count == 1 ? channels.room(rooms[0]) : channels.broadcast }

    /// `[uid, packet, {rooms, flags, except}]`, in the emitter's order.
    static func broadcastMessage(packet: SocketIOPacket, rooms: [String], except: [String], volatile: Bool) -> [UInt8] {
        let flags: MessagePackMap = volatile ? ["volatile": true] : [:]
        let options: MessagePackValue = [
            "rooms": .array(rooms.map(MessagePackValue.string)), "flags": .map(flags),
            "except": .array(except.map(MessagePackValue.string)),
        ]
        return MessagePackWriter.encode(.array([.string(RedisEmitter.uid), packet.messagePackValue, options]))
    }

    /// Makes the targeted sockets join a room, on every server.
    @discardableResult
    public func socketsJoin(_ room: String) -> Bool { request(.remoteJoin, ["rooms": [.string(room)]]) }

    /// Makes the targeted sockets leave a room, on every server.
    @discardableResult
    public func socketsLeave(_ room: String) -> Bool { request(.remoteLeave, ["rooms": [.string(room)]]) }

    /// Disconnects the targeted sockets, on every server.
    @discardableResult
    public func disconnectSockets(close: Bool = false) -> Bool { request(.remoteDisconnect, ["close": .bool(close)]) }

    /// Sends an event to the namespace's handlers on every server.
    @discardableResult
    public func serverSideEmit(_ event: String, arguments: [JSONValue]) -> Bool {
        let message: JSONObject = [
            "uid": .string(RedisEmitter.uid), "type": .int(RedisRequestType.serverSideEmit.rawValue),
            "data": .array([.string(event)] + arguments),
        ]
        return emitter.publish(channels.request, RedisAdapterMessage(message).encodedJSON())
    }

    private func request(_ type: RedisRequestType, _ fields: JSONObject) -> Bool {
        var message: JSONObject = [
            "type": .int(type.rawValue),
            "opts": ["rooms": .array(rooms.map(JSONValue.string)), "except": .array(except.map(JSONValue.string))],
        ]
        for member in fields { message[member.key] = member.value }
        return emitter.publish(channels.request, RedisAdapterMessage(message).encodedJSON())
    }
}
