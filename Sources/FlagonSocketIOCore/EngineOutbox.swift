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
    }

    private var urgent: [EnginePacket] = []
    private var queue: [Entry] = []
    private var head = 0
    /// The bytes of data waiting (text or binary), a measure for the queue's limit.
    public private(set) var bytes = 0

    /// An empty outbox.
    public init() {}

    /// Packets waiting.
    public var count: Int { urgent.count + queue.count - head }
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
    public mutating func dropOldestMessage() -> Bool {
        guard let first = queue[head...].firstIndex(where: { $0.droppable && $0.startsMessage }) else { return false }
        var end = first + 1
        while end < queue.count && !queue[end].startsMessage { end += 1 }
        for entry in queue[first..<end] { bytes -= entry.packet.data.count }
        queue.removeSubrange(first..<end)
        return true
    }

    /// Takes up to `max` packets, urgent ones first.
    public mutating func take(max: Int) -> [EnginePacket] {
        var out: [EnginePacket] = []
        out.reserveCapacity(Swift.min(max, count))
        while !urgent.isEmpty && out.count < max { out.append(urgent.removeFirst()) }
        while head < queue.count && out.count < max {
            let packet = queue[head].packet
            bytes -= packet.data.count
            out.append(packet)
            head += 1
        }
        if head == queue.count {
            queue.removeAll(keepingCapacity: queue.capacity <= 256)
            head = 0
        } else if head > 1024 {
            queue.removeFirst(head)
            head = 0
        }
        return out
    }

    /// Takes every packet, in order.
    public mutating func takeAll() -> [EnginePacket] { take(max: .max) }
}
