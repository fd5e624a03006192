import FlagonJSON
import FlagonLoop
import FlagonMessagePack
import FlagonSocketIO
import FlagonSocketIOCore

/// Connection state recovery for a cluster: a client recovers on whichever server it comes
/// back to, even after the server it was on has stopped or died.
///
/// - Broadcasts go into a Redis Stream per namespace (`socket.io-recovery#/chat#`, trimmed
///   with `XADD … MAXLEN ~ maxPackets`); a broadcast's offset is its stream id. The server
///   that broadcasts waits for the id (one round trip) before it sends.
/// - Socket states are keys with a time to live (`socket.io-session#<pid>`): written when a
///   socket connects, when its rooms change and every half window while it is connected
///   (so a `kill -9` loses at most that much of `data`), and when it loses its connection;
///   deleted when it leaves explicitly.
/// - Restoring reads the state with `GETDEL` (so at most one server restores it) and the
///   stream with one `XRANGE` from the client's offset, bounded: a client whose offset fell
///   off the stream gets a fresh session, never a partial replay.
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

    private var prefix: String { cluster.options.prefix }

    func streamKey(_ namespace: String) -> String { prefix + "-recovery#" + namespace + "#" }

    func sessionKey(_ pid: String) -> String { prefix + "-session#" + pid }

    public var keepsConnectedStates: Bool { true }

    public func record(_ packet: SocketIOPacket, target: BroadcastTarget, send: @escaping @LoopActor (SocketIOPacket) -> Void) {
        guard case .array(let items)? = packet.data else { return send(packet) }
        let entry = MessagePackWriter.encode([packet.messagePackValue, .array(target.rooms.sorted().map(MessagePackValue.string)),
                                              .array(target.except.sorted().map(MessagePackValue.string))])
        let command: [[UInt8]] = [Array("XADD".utf8), Array(streamKey(packet.namespace).utf8), Array("MAXLEN".utf8), Array("~".utf8),
                                  Array(String(settings.maxPackets).utf8), Array("*".utf8), Array("m".utf8), entry]
        let sent = cluster.sendCommand(command) { reply in
            guard case .success(let value) = reply, let id = value.text else { return send(packet) }   // not recorded: sent without offset
            var recorded = packet
            recorded.data = .array(items + [.string(id)])
            send(recorded)
        }
        if !sent { send(packet) }
    }

    public func save(_ state: SocketState, connected: Bool) {
        let window = settings.maxDisconnectionDuration
        // A connected socket's state lives until the next refresh (half a window) plus the window.
        let lifetime = connected ? window + max(1000, window / 2) : window
        let value: JSONValue = ["id": .string(state.id), "pid": .string(state.pid), "nsp": .string(state.namespace),
                                "rooms": .array(state.rooms.sorted().map(JSONValue.string)), "data": state.data]
        cluster.sendCommand([Array("SET".utf8), Array(sessionKey(state.pid).utf8), Array(value.jsonString.utf8), Array("PX".utf8),
                             Array(String(lifetime).utf8)])
    }

    public func discard(pid: String) {
        cluster.sendCommand([Array("DEL".utf8), Array(sessionKey(pid).utf8)])
    }

    public func restore(pid: String, offset: String, namespace: String) async -> RecoveredSocketState? {
        guard let reply = await cluster.command([Array("GETDEL".utf8), Array(sessionKey(pid).utf8)]), let text = reply.bytes,
              let value = try? JSONValue.parse(text), value["nsp"]?.stringValue == namespace,
              let id = value["id"]?.stringValue, case .array(let roomList)? = value["rooms"]
        else { return nil }
        let state = SocketState(id: id, pid: pid, namespace: namespace, rooms: Set(roomList.compactMap(\.stringValue)), data: value["data"] ?? .null)
        // The offset's own entry first: if it is gone, so may be what followed it.
        let limit = settings.maxPackets + 201
        guard let range = await cluster.command([Array("XRANGE".utf8), Array(streamKey(namespace).utf8), Array(offset.utf8),
                                                Array("+".utf8), Array("COUNT".utf8), Array(String(limit).utf8)]),
              let entries = range.elements, entries.count < limit, entries.first?.elements?.first?.text == offset
        else { return nil }
        var rooms = state.rooms
        rooms.insert(id)
        var missed: [SocketIOPacket] = []
        for entry in entries.dropFirst() {
            guard let parts = entry.elements, parts.count == 2, let entryID = parts[0].text, let fields = parts[1].elements,
                  fields.count == 2, let bytes = fields[1].bytes,
                  case .array(let stored)? = try? MessagePackReader.decode(bytes), stored.count == 3,
                  var packet = try? SocketIOPacket(messagePack: stored[0]),
                  case .array(var items)? = packet.data
            else { continue }
            let target = BroadcastTarget(rooms: Set(stored[1].arrayValue?.compactMap(\.stringValue) ?? []),
                                         except: Set(stored[2].arrayValue?.compactMap(\.stringValue) ?? []))
            guard target.rooms.isEmpty || !target.rooms.isDisjoint(with: rooms), target.except.isDisjoint(with: rooms) else { continue }
            items.append(.string(entryID))
            packet.data = .array(items)
            missed.append(packet)
        }
        return RecoveredSocketState(state: state, missedPackets: missed)
    }
}
