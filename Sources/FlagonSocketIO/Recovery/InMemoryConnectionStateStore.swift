import FlagonJSON
import FlagonLoop
import FlagonSocketIOCore

/// Connection state recovery within one process: the states of disconnected sockets and a
/// log of recent broadcasts, both bounded (``ConnectionStateRecovery``'s duration, packets,
/// bytes and sessions). An offset names its broadcast's place in the log, so restoring
/// reads only what came after it, never the whole log.
@LoopActor
public final class InMemoryConnectionStateStore: ConnectionStateStore {
    private struct Entry {
        let sequence: UInt64
        /// The offset another server gave it (``observe(_:target:)``); `nil` for this store's own.
        let foreignOffset: String?
        let packet: SocketIOPacket
        let target: BroadcastTarget
        let bytes: Int
        let at: UInt64
    }

    private struct Saved {
        let state: SocketState
        let at: UInt64
    }

    /// The limits.
    public let settings: ConnectionStateRecovery
    private let now: @LoopActor () -> UInt64
    /// Offsets of this store start with it: an offset of another process (or of an earlier
    /// run) is not in this log.
    private let prefix: String
    private var entries: [Entry] = []
    private var head = 0
    private var nextSequence: UInt64 = 1
    private var bytes = 0
    private var sessions: [String: Saved] = [:]
    private var sessionOrder: [(pid: String, at: UInt64)] = []
    private var sessionOrderHead = 0
    /// The sequence of each observed broadcast, by the offset its server gave it.
    private var foreignSequences: [String: UInt64] = [:]

    /// A store with these limits; `now` is the clock in milliseconds (the loop's by default).
    public init(settings: ConnectionStateRecovery, now: @escaping @LoopActor () -> UInt64 = { EventLoop.shared.nowMilliseconds }) {
        self.settings = settings
        self.now = now
        self.prefix = EngineSession.makeID().prefix(8) + "-"
    }

    /// Broadcasts kept for replay.
    public var packetCount: Int { entries.count - head }
    /// Their approximate size in bytes.
    public var byteCount: Int { bytes }
    /// Disconnected sockets kept.
    public var sessionCount: Int { sessions.count }

    public func record(_ packet: SocketIOPacket, target: BroadcastTarget, send: @escaping @LoopActor (SocketIOPacket) -> Void) {
        guard case .array(var items)? = packet.data else { return send(packet) }
        let sequence = nextSequence
        nextSequence += 1
        items.append(.string(prefix + String(sequence)))
        var recorded = packet
        recorded.data = .array(items)
        let size = Self.approximateSize(recorded.data!) + 64
        entries.append(Entry(sequence: sequence, foreignOffset: nil, packet: recorded, target: target, bytes: size, at: now()))
        bytes += size
        trimLog()
        send(recorded)
    }

    public func observe(_ packet: SocketIOPacket, target: BroadcastTarget) {
        guard !target.volatile, case .array(let items)? = packet.data, case .string(let offset)? = items.last,
              !offset.hasPrefix(prefix), foreignSequences[offset] == nil, offset.utf8.count <= 128
        else { return }
        let sequence = nextSequence
        nextSequence += 1
        let size = Self.approximateSize(packet.data!) + 64 + offset.utf8.count
        entries.append(Entry(sequence: sequence, foreignOffset: offset, packet: packet, target: target, bytes: size, at: now()))
        foreignSequences[offset] = sequence
        bytes += size
        trimLog()
    }

    /// Dies with the process: only disconnected sockets are kept.
    public var keepsConnectedStates: Bool { false }

    public func save(_ state: SocketState, connected: Bool) {
        guard !connected else { return }
        let at = now()
        sessions[state.pid] = Saved(state: state, at: at)
        sessionOrder.append((state.pid, at))
        trimSessions()
    }

    public func discard(pid: String) {}

    public func restore(pid: String, offset: String, namespace: String) async -> RecoveredSocketState? {
        trimLog()
        trimSessions()
        guard let saved = sessions.removeValue(forKey: pid), saved.state.namespace == namespace else { return nil }
        guard let last = offset.hasPrefix(prefix) ? UInt64(offset.dropFirst(prefix.count)) : foreignSequences[offset],
              last < nextSequence
        else { return nil }
        let first = head < entries.count ? entries[head].sequence : nextSequence
        guard last + 1 >= first else { return nil }   // what came after it fell off the log
        var rooms = saved.state.rooms
        rooms.insert(saved.state.id)
        var missed: [SocketIOPacket] = []
        var index = head + Int(last + 1 - first)
        while index < entries.count {
            let entry = entries[index]
            if entry.packet.namespace == namespace && Self.reaches(entry.target, rooms) { missed.append(entry.packet) }
            index += 1
        }
        return RecoveredSocketState(state: saved.state, missedPackets: missed)
    }

    /// Whether a broadcast to `target` reached a socket in `rooms`.
    static func reaches(_ target: BroadcastTarget, _ rooms: Set<String>) -> Bool {
        if !target.rooms.isEmpty && target.rooms.isDisjoint(with: rooms) { return false }
        return target.except.isDisjoint(with: rooms)
    }

    private func trimLog() {
        let oldest = oldestKept()
        while head < entries.count {
            let entry = entries[head]
            guard entries.count - head > settings.maxPackets || bytes > settings.maxBytes || entry.at < oldest else { break }
            bytes -= entry.bytes
            if let offset = entry.foreignOffset { foreignSequences[offset] = nil }
            head += 1
        }
        if head > 1024 && head * 2 > entries.count {
            entries.removeFirst(head)
            head = 0
        }
    }

    private func trimSessions() {
        let oldest = oldestKept()
        while sessionOrderHead < sessionOrder.count {
            let (pid, at) = sessionOrder[sessionOrderHead]
            let current = sessions[pid]
            // An entry whose session was restored, or saved again later, is only skipped.
            if current == nil || current?.at != at {
                sessionOrderHead += 1
                continue
            }
            guard sessions.count > settings.maxSessions || at < oldest else { break }
            sessions[pid] = nil
            sessionOrderHead += 1
        }
        if sessionOrderHead > 1024 && sessionOrderHead * 2 > sessionOrder.count {
            sessionOrder.removeFirst(sessionOrderHead)
            sessionOrderHead = 0
        }
    }

    /// The time before which everything has expired.
    private func oldestKept() -> UInt64 {
        let time = now()
        return time > settings.maxDisconnectionDuration ? time - settings.maxDisconnectionDuration : 0
    }

    /// About how many bytes a value takes, without serializing it.
    static func approximateSize(_ value: JSONValue) -> Int {
        switch value {
        case .null, .bool, .int, .double: 8
        case .largeNumber(let text), .string(let text): text.utf8.count + 2
        case .binary(let bytes): bytes.count
        case .array(let items): items.reduce(2) { $0 + approximateSize($1) + 1 }
        case .object(let object): object.reduce(2) { $0 + $1.key.utf8.count + 4 + approximateSize($1.value) }
        }
    }
}
