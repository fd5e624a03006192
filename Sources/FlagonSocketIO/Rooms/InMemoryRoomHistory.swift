import FlagonLoop

/// Room histories in this process: per room the newest messages (a ring) and the room's
/// counter; at most ``RoomHistoryLimits/maxRooms`` rooms, the least recently used one
/// forgotten first.
@LoopActor
public final class InMemoryRoomHistory: RoomHistoryStore {
    /// The limits.
    public let limits: RoomHistoryLimits
    /// Rooms whose history was forgotten to make room for others.
    public private(set) var evictedRooms = 0

    private struct Log {
        var entries: [RoomHistoryEntry] = []
        /// Where the oldest entry is, once the ring is full.
        var start = 0
        var latest = 0
        var lastUsed: UInt64 = 0
    }

    private var logs: [String: Log] = [:]
    private var uses: UInt64 = 0

    public init(limits: RoomHistoryLimits = RoomHistoryLimits()) {
        self.limits = limits
    }

    private func key(_ namespace: String, _ room: String) -> String { namespace + "#" + room }

    public func nextSequence(namespace: String, room: String) async -> Int? { nextSequenceNow(namespace: namespace, room: room) }

    /// ``nextSequence(namespace:room:)`` without waiting (this process decides).
    public func nextSequenceNow(namespace: String, room: String) -> Int {
        let name = key(namespace, room)
        if logs[name] == nil { makeRoom() }
        uses += 1
        logs[name, default: Log()].latest += 1
        logs[name]?.lastUsed = uses
        return logs[name]!.latest
    }

    public func store(_ entry: RoomHistoryEntry, namespace: String, room: String) {
        let name = key(namespace, room)
        guard var log = logs[name] else { return }   // forgotten meanwhile
        logs[name] = nil   // modified in place, without a copy
        if log.entries.count < limits.maxMessages {
            log.entries.append(entry)
        } else {
            log.entries[log.start] = entry
            log.start = (log.start + 1) % log.entries.count
        }
        log.latest = max(log.latest, entry.seq)
        logs[name] = log
    }

    public func recent(namespace: String, room: String) async -> RoomHistorySlice? { recentNow(namespace: namespace, room: room) }

    /// ``recent(namespace:room:)`` without waiting.
    public func recentNow(namespace: String, room: String) -> RoomHistorySlice {
        guard let log = logs[key(namespace, room)] else { return RoomHistorySlice(entries: [], latest: 0) }
        var entries = Array(log.entries[log.start...] + log.entries[..<log.start])
        if let maxAge = limits.maxAge {
            let oldest = WallClock.milliseconds - maxAge
            entries.removeAll { $0.time < oldest }
        }
        return RoomHistorySlice(entries: entries, latest: log.latest)
    }

    /// Rooms with a history.
    public var roomCount: Int { logs.count }

    /// Forgets the least recently used rooms when a new one would pass the limit: a tenth
    /// of them at once, so that a flood of new rooms costs one sort per tenth, not a scan
    /// per room.
    private func makeRoom() {
        guard logs.count >= limits.maxRooms else { return }
        let victims = max(1, limits.maxRooms / 10)
        for (name, _) in logs.sorted(by: { $0.value.lastUsed < $1.value.lastUsed }).prefix(victims) {
            logs[name] = nil
            evictedRooms += 1
        }
    }
}
