/// The packets waiting for a long-polling `GET`, in order, except that pings jump the
/// queue (a ping behind a backlog would delay the client's pong past the timeout).
/// A response carries at most `maxPacketsPerPayload` packets (python-engineio clients
/// refuse more than 16). Packets are kept in messages (a Socket.IO packet and its binary
/// attachments), so that a slow client's oldest droppable message can be dropped whole.
///
/// ```swift
/// var outbox = EngineOutbox()
/// outbox.append(.message("a"))
/// outbox.append(EnginePacket(.ping))
/// outbox.take(max: 16)   // [ping, message "a"]
/// ```
public struct EngineOutbox: Sendable {
    private struct Entry: Sendable {
        let packet: EnginePacket
        /// The first packet of a message (the others are its attachments).
        let startsMessage: Bool
        /// The message may be dropped when the client is too slow.
        let droppable: Bool
        /// Dropped: skipped when taken (a gap instead of shifting the queue).
        var dropped = false
    }

    private var urgent: [EnginePacket] = []
    private var queue: [Entry] = []
    private var head = 0
    /// Dropped entries at or after `head`.
    private var droppedCount = 0
    /// No droppable message starts before this index.
    private var searchFrom = 0
    /// Entries the search for a droppable message has looked at (for tests that count work).
    private(set) var examined = 0
    /// The bytes of data waiting (text or binary), a measure for the queue's limit.
    public private(set) var bytes = 0

    /// An empty outbox.
    public init() {}

    /// Packets waiting.
    public var count: Int { urgent.count + queue.count - head - droppedCount }
    /// `true` when nothing waits.
    public var isEmpty: Bool { count == 0 }

    /// Queues a packet that is never dropped; pings go before everything else.
    public mutating func append(_ packet: EnginePacket) {
        if packet.type == .ping {
            urgent.append(packet)
        } else {
            queue.append(Entry(packet: packet, startsMessage: true, droppable: false))
            bytes += packet.data.count
        }
    }

    /// Queues the packets of one message; `droppable` ones may be dropped, whole, by
    /// ``dropOldestMessage()``.
    public mutating func append(message packets: [EnginePacket], droppable: Bool) {
        for (index, packet) in packets.enumerated() {
            queue.append(Entry(packet: packet, startsMessage: index == 0, droppable: droppable))
            bytes += packet.data.count
        }
    }

    /// Drops the oldest droppable message not yet taken; `false` when there is none.
    /// Each entry is looked at once over the outbox's life, however many drops: messages
    /// only join at the end, so none can become droppable behind the search.
    public mutating func dropOldestMessage() -> Bool {
        var first = Swift.max(head, searchFrom)
        while first < queue.count {
            examined += 1
            let entry = queue[first]
            if entry.droppable && entry.startsMessage && !entry.dropped { break }
            first += 1
        }
        guard first < queue.count else {
            searchFrom = queue.count
            return false
        }
        var index = first
        repeat {
            queue[index].dropped = true
            bytes -= queue[index].packet.data.count
            droppedCount += 1
            index += 1
        } while index < queue.count && !queue[index].startsMessage
        searchFrom = index
        return true
    }

    /// Takes up to `max` packets, urgent ones first.
    public mutating func take(max: Int) -> [EnginePacket] {
        var out: [EnginePacket] = []
        out.reserveCapacity(Swift.min(max, count))
        while !urgent.isEmpty && out.count < max { out.append(urgent.removeFirst()) }
        while head < queue.count && out.count < max {
            let entry = queue[head]
            head += 1
            if entry.dropped {
                droppedCount -= 1
                continue
            }
            bytes -= entry.packet.data.count
            out.append(entry.packet)
        }
        if head == queue.count {
            queue.removeAll(keepingCapacity: queue.capacity <= 256)
            head = 0
            searchFrom = 0
        } else if head > 1024 {
            queue.removeFirst(head)
            searchFrom = Swift.max(0, searchFrom - head)
            head = 0
        }
        return out
    }

    /// Takes every packet, in order.
    public mutating func takeAll() -> [EnginePacket] { take(max: .max) }
}
