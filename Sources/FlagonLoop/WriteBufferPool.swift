/// Small write buffers that streams hand back once everything they queued went out, kept for
/// the next stream that writes. A server answering many small messages then allocates no
/// buffer per write, and an idle connection still holds none.
///
/// ```swift
/// var outbox = WriteBufferPool.take()
/// outbox.append(contentsOf: frame)
/// // ... written out ...
/// WriteBufferPool.give(&outbox)   // outbox is now empty, without storage
/// ```
@LoopActor
enum WriteBufferPool {
    /// Buffers kept at most (enough for one loop turn of a large fan-out).
    static let maxBuffers = 1024
    /// Buffers outside these capacities are freed rather than kept (a tiny one, adopted
    /// from a caller's array, would have to grow at once).
    static let minCapacity = 64
    static let maxCapacity = 2048
    /// Capacity of a buffer made when none is spare (a few small messages).
    static let initialCapacity = 512

    @exclusivity(unchecked) private static var spare: [[UInt8]] = []

    /// An empty buffer with room, spare if one is.
    static func take() -> [UInt8] {
        if let buffer = spare.popLast() { return buffer }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(initialCapacity)
        return buffer
    }

    /// Takes `buffer`'s storage back (emptied) and leaves `buffer` empty, without storage.
    static func give(_ buffer: inout [UInt8]) {
        var taken: [UInt8] = []
        swap(&taken, &buffer)
        guard taken.capacity >= minCapacity, taken.capacity <= maxCapacity, spare.count < maxBuffers else { return }
        taken.removeAll(keepingCapacity: true)
        spare.append(taken)
    }

    /// How many buffers are spare (for tests).
    static var spareCount: Int { spare.count }
}
