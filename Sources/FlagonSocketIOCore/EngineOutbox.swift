/// The packets waiting for a long-polling `GET`, in order, except that pings jump the
/// queue (a ping behind a backlog would delay the client's pong past the timeout).
/// A response carries at most `maxPacketsPerPayload` packets (python-engineio clients
/// refuse more than 16).
///
/// ```swift
/// var outbox = EngineOutbox()
/// outbox.append(.message("a"))
/// outbox.append(EnginePacket(.ping))
/// outbox.take(max: 16)   // [ping, message "a"]
/// ```
public struct EngineOutbox: Sendable {
    private var urgent: [EnginePacket] = []
    private var queue: [EnginePacket] = []
    private var head = 0

    /// An empty outbox.
    public init() {}

    /// Packets waiting.
    public var count: Int { urgent.count + queue.count - head }
    /// `true` when nothing waits.
    public var isEmpty: Bool { count == 0 }

    /// Queues a packet; pings go before everything else.
    public mutating func append(_ packet: EnginePacket) {
        if packet.type == .ping { urgent.append(packet) } else { queue.append(packet) }
    }

    /// Takes up to `max` packets, urgent ones first.
    public mutating func take(max: Int) -> [EnginePacket] {
        var out: [EnginePacket] = []
        out.reserveCapacity(Swift.min(max, count))
        while !urgent.isEmpty && out.count < max { out.append(urgent.removeFirst()) }
        while head < queue.count && out.count < max {
            out.append(queue[head])
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
