import FlagonJSON
import FlagonLoop
import FlagonMessagePack
import FlagonSocketIO
import FlagonSocketIOCore

/// Connection state recovery for a cluster: a client recovers on whichever server it comes
/// back to, even after the server it was on has stopped or died.
///
/// - Broadcasts go into a Redis Stream per namespace (`socket.io-recovery#/chat#`, trimmed
///   with `XADD … MAXLEN ~ maxPackets`), each entry with its offset (field `o`). The server
///   that broadcasts makes the offset itself (its own random prefix and a counter) and sends
///   at once: local delivery never waits for Redis, nor stalls when Redis does. What could
///   not be recorded (Redis away) is still sent; a client whose offset is not in the stream
///   gets a fresh session on recovery.
/// - Socket states are keys with a time to live (`socket.io-session#<pid>`): written when a
///   socket connects, when its rooms change and every half window while it is connected
///   (so a `kill -9` loses at most that much of `data`), and when it loses its connection;
///   deleted when it leaves explicitly.
/// - Restoring reads the state with `GETDEL` (so at most one server restores it), then the
///   stream from its newest entry back to the client's offset (`XREVRANGE`, in pages),
///   bounded by `maxPackets`: what it reads is exactly what came after the offset. A client
///   whose offset fell off the stream gets a fresh session, never a partial replay.
/// - Entries reach the stream in the order Redis receives them from the servers; a socket
///   receives another server's broadcasts a moment later than that server's own sockets do.
///   A client that loses its connection in that moment may, on recovery, get a broadcast
///   twice or miss one sent by another server in the same instant (as with stream ids as
///   offsets, when the broadcasting server waited for them).
///
/// ```swift
/// let cluster = try await RedisCluster.connect(RedisAdapterOptions(url: url))
/// var options = SocketIOOptions()
/// options.connectionStateRecovery = ConnectionStateRecovery()
/// let sio = SocketIOServer(options: options, adapter: cluster.makeAdapter,
///                          stateStore: RedisConnectionStateStore(cluster: cluster, settings: options.connectionStateRecovery!))
/// ```
@LoopActor
public final class RedisConnectionStateStore: ConnectionStateStore {
    /// The cluster's link to Redis.
    public let cluster: RedisCluster
    /// The window and the bounds.
    public let settings: ConnectionStateRecovery

    /// A store on the cluster's Redis (needs Redis 6.2 or later, for `GETDEL`).
    public init(cluster: RedisCluster, settings: ConnectionStateRecovery) {
        self.cluster = cluster
        self.settings = settings
    }

    /// This store's offsets are `<offsetPrefix>-<n>`: 72 random bits, unique to the process.
    private let offsetPrefix = RedisCluster.randomID(length: 12)
    private var offsetCounter: UInt64 = 0
    /// Entries read per `XREVRANGE` while looking for an offset.
    private static let restorePage = 256

    private var prefix: String { cluster.options.prefix }

    func streamKey(_ namespace: String) -> String { prefix + "-recovery#" + namespace + "#" }

    func sessionKey(_ pid: String) -> String { prefix + "-session#" + pid }

    public var keepsConnectedStates: Bool { true }

    public func record(_ packet: SocketIOPacket, target: BroadcastTarget, send: @escaping @LoopActor (SocketIOPacket) -> Void) {
        guard case .array(let items)? = packet.data else { return send(packet) }
        offsetCounter += 1
        let offset = offsetPrefix + "-" + String(offsetCounter)
        var recorded = packet
        recorded.data = .array(items + [.string(offset)])
        send(recorded)
        let entry = MessagePackWriter.encode([packet.messagePackValue, .array(target.rooms.sorted().map(MessagePackValue.string)),
                                              .array(target.except.sorted().map(MessagePackValue.string))])
        let stream = Array(streamKey(packet.namespace).utf8)
        cluster.sendCommand([Array("XADD".utf8), stream, Array("MAXLEN".utf8), Array("~".utf8),
                             Array(String(settings.maxPackets).utf8), Array("*".utf8), Array("o".utf8), Array(offset.utf8),
                             Array("m".utf8), entry], key: stream)
    }

    public func save(_ state: SocketState, connected: Bool) {
        let window = settings.maxDisconnectionDuration
        // A connected socket's state lives until the next refresh (half a window) plus the window.
        let lifetime = connected ? window + max(1000, window / 2) : window
        var fields: JSONObject = ["id": .string(state.id), "pid": .string(state.pid), "nsp": .string(state.namespace),
                                  "rooms": .array(state.rooms.sorted().map(JSONValue.string)), "data": state.data]
        if let credentials = state.credentials { fields["credentials"] = credentials.json }
        let value = JSONValue.object(fields)
        let key = Array(sessionKey(state.pid).utf8)
        cluster.sendCommand([Array("SET".utf8), key, Array(value.jsonString.utf8), Array("PX".utf8), Array(String(lifetime).utf8)], key: key)
    }

    public func discard(pid: String) {
        let key = Array(sessionKey(pid).utf8)
        cluster.sendCommand([Array("DEL".utf8), key], key: key)
    }

    public func restore(pid: String, offset: String, namespace: String) async -> RecoveredSocketState? {
        let key = Array(sessionKey(pid).utf8)
        guard let reply = await cluster.command([Array("GETDEL".utf8), key], key: key), let text = reply.bytes,
              let value = try? JSONValue.parse(text), value["nsp"]?.stringValue == namespace,
              let id = value["id"]?.stringValue, case .array(let roomList)? = value["rooms"]
        else { return nil }
        let state = SocketState(id: id, pid: pid, namespace: namespace, rooms: Set(roomList.compactMap(\.stringValue)), data: value["data"] ?? .null,
                                credentials: SocketCredentials(json: value["credentials"]))
        guard let newer = await entries(after: offset, namespace: namespace) else { return nil }
        var rooms = state.rooms
        rooms.insert(id)
        var missed: [SocketIOPacket] = []
        for (entryOffset, bytes) in newer {
            guard case .array(let stored)? = try? MessagePackReader.decode(bytes), stored.count == 3,
                  var packet = try? SocketIOPacket(messagePack: stored[0]),
                  case .array(var items)? = packet.data
            else { continue }
            let target = BroadcastTarget(rooms: Set(stored[1].arrayValue?.compactMap(\.stringValue) ?? []),
                                         except: Set(stored[2].arrayValue?.compactMap(\.stringValue) ?? []))
            guard target.rooms.isEmpty || !target.rooms.isDisjoint(with: rooms), target.except.isDisjoint(with: rooms) else { continue }
            items.append(.string(entryOffset))
            packet.data = .array(items)
            missed.append(packet)
        }
        return RecoveredSocketState(state: state, missedPackets: missed)
    }

    /// The entries recorded after the one with `offset` (offset and packet bytes, oldest
    /// first), read newest first a page at a time; `nil` when `offset` is not among the
    /// newest `maxPackets + 200` entries (gone from the stream, or never recorded).
    private func entries(after offset: String, namespace: String) async -> [(offset: String, bytes: [UInt8])]? {
        let limit = settings.maxPackets + 200
        var newer: [(offset: String, bytes: [UInt8])] = []
        var end = "+"
        var scanned = 0
        while scanned < limit {
            let stream = Array(streamKey(namespace).utf8)
            guard let page = await cluster.command([Array("XREVRANGE".utf8), stream, Array(end.utf8),
                                                   Array("-".utf8), Array("COUNT".utf8), Array(String(Self.restorePage).utf8)], key: stream),
                  let entries = page.elements, !entries.isEmpty
            else { return nil }
            scanned += entries.count
            for entry in entries {
                guard let parts = entry.elements, parts.count == 2, let id = parts[0].text, let fields = parts[1].elements else { continue }
                end = "(" + id
                var entryOffset: String?, bytes: [UInt8]?
                for index in stride(from: 0, to: fields.count - 1, by: 2) {
                    switch fields[index].text {
                    case "o": entryOffset = fields[index + 1].text
                    case "m": bytes = fields[index + 1].bytes
                    default: break
                    }
                }
                guard let entryOffset, let bytes else { continue }
                if entryOffset == offset { return newer.reversed() }
                newer.append((entryOffset, bytes))
            }
            if entries.count < Self.restorePage { return nil }
        }
        return nil
    }
}
