import FlagonJSON
import FlagonLoop
import FlagonSocketIO

/// Room histories in Redis, shared by every server of the cluster: per room a counter
/// (`INCR socket.io-history-seq#{/nsp#room}`) numbers the messages across servers, and a
/// stream (`socket.io-history#{/nsp#room}`, `XADD … MAXLEN maxMessages`) keeps the newest.
/// Both keys of a room share a hash tag, so they live in one slot of a Redis Cluster, and
/// expire after ``idleLifetime`` without a message. While Redis is away, messages are
/// numbered and kept in this process only (counted in ``degraded``) and replays read this
/// process's; Redis is used again as soon as it answers.
///
/// ```swift
/// let cluster = try await RedisCluster.connect(RedisAdapterOptions(url: url))
/// sio.of("/chat").keepHistory(store: RedisRoomHistory(cluster: cluster))
/// ```
@LoopActor
public final class RedisRoomHistory: RoomHistoryStore {
    /// The cluster's link to Redis.
    public let cluster: RedisCluster
    /// The limits (``RoomHistoryLimits/maxRooms`` bounds the fallback in this process).
    public let limits: RoomHistoryLimits
    /// Milliseconds a room's keys live after its last message (default a week).
    public var idleLifetime = 7 * 24 * 3600 * 1000
    /// Messages numbered and kept in this process because Redis did not answer.
    public private(set) var degraded = 0
    /// Where messages go while Redis is away.
    private let fallback: InMemoryRoomHistory

    public init(cluster: RedisCluster, limits: RoomHistoryLimits = RoomHistoryLimits()) {
        self.cluster = cluster
        self.limits = limits
        self.fallback = InMemoryRoomHistory(limits: limits)
    }

    func streamKey(_ namespace: String, _ room: String) -> [UInt8] { Array((cluster.prefix + "-history#{" + namespace + "#" + room + "}").utf8) }

    func counterKey(_ namespace: String, _ room: String) -> [UInt8] {
        Array((cluster.prefix + "-history-seq#{" + namespace + "#" + room + "}").utf8)
    }

    public func nextSequence(namespace: String, room: String) async -> Int? {
        let key = counterKey(namespace, room)
        if let reply = await cluster.command([Array("INCR".utf8), key], key: key), let seq = reply.integer {
            cluster.sendCommand([Array("PEXPIRE".utf8), key, Array(String(idleLifetime).utf8)], key: key)
            return Int(seq)
        }
        degraded += 1
        if degraded <= 10 || degraded.isMultiple(of: 1000) {
            cluster.options.logger.warning("room history of \(namespace) \(room): Redis did not answer; kept in this process (\(degraded) so far)")
        }
        return fallback.nextSequenceNow(namespace: namespace, room: room)
    }

    public func store(_ entry: RoomHistoryEntry, namespace: String, room: String) {
        let key = streamKey(namespace, room)
        let sent = cluster.sendCommand([
            Array("XADD".utf8), key, Array("MAXLEN".utf8), Array(String(limits.maxMessages).utf8), Array("*".utf8),
            Array("s".utf8), Array(String(entry.seq).utf8), Array("e".utf8), Array(entry.event.utf8),
            Array("a".utf8), Array(JSONValue.array(entry.arguments).jsonString.utf8), Array("t".utf8), Array(String(entry.time).utf8),
        ], key: key)
        if sent {
            cluster.sendCommand([Array("PEXPIRE".utf8), key, Array(String(idleLifetime).utf8)], key: key)
        } else {
            fallback.store(entry, namespace: namespace, room: room)
        }
    }

    public func recent(namespace: String, room: String) async -> RoomHistorySlice? {
        let key = streamKey(namespace, room)
        let counter = counterKey(namespace, room)
        guard let reply = await cluster.command([Array("XREVRANGE".utf8), key, Array("+".utf8), Array("-".utf8),
                                                 Array("COUNT".utf8), Array(String(limits.maxMessages).utf8)], key: key),
              let items = reply.elements
        else { return fallback.recentNow(namespace: namespace, room: room) }
        let latest = (await cluster.command([Array("GET".utf8), counter], key: counter))?.text.flatMap { Int($0) } ?? 0
        var entries: [RoomHistoryEntry] = []
        let oldest = limits.maxAge.map { WallClock.milliseconds - $0 }
        for item in items {
            guard let parts = item.elements, parts.count == 2, let fields = parts[1].elements else { continue }
            var seq: Int?, event: String?, arguments: [JSONValue]?, time: Int?
            for index in stride(from: 0, to: fields.count - 1, by: 2) {
                let value = fields[index + 1]
                switch fields[index].text {
                case "s": seq = value.text.flatMap { Int($0) }
                case "e": event = value.text
                case "a": if let bytes = value.bytes, case .array(let list)? = try? JSONValue.parse(bytes) { arguments = list }
                case "t": time = value.text.flatMap { Int($0) }
                default: break
                }
            }
            guard let seq, let event, let arguments, let time else { continue }
            if let oldest, time < oldest { continue }
            entries.append(RoomHistoryEntry(seq: seq, event: event, arguments: arguments, time: time))
        }
        return RoomHistorySlice(entries: entries, latest: latest)
    }
}
