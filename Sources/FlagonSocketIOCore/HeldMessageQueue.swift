/// The messages a WebSocket session holds while its socket's send buffer is full, in order
/// (sans-IO): written when the socket drains, bounded by the caller's limits, the oldest
/// droppable one dropped first when the slow-consumer policy says so.
///
/// Every operation is O(1), amortized: a dropped message leaves a gap that is skipped once,
/// and the search for the oldest droppable one never looks at a message twice (messages
/// only join at the end, so none can become droppable behind the search).
///
/// ```swift
/// var held = HeldMessageQueue()
/// held.append(HeldMessageQueue.Message(frames: frames, offset: 0, droppable: true))
/// held.dropOldestDroppable()   // true
/// held.popFirst()              // nil
/// ```
public struct HeldMessageQueue: Sendable {
    /// WebSocket frames encoded beforehand, sent from `offset`.
    public struct Message: Sendable, Equatable {
        public let frames: [UInt8]
        public let offset: Int
        /// An event, which the slow-consumer policy may drop (acks and CONNECT replies are not).
        public let droppable: Bool

        public init(frames: [UInt8], offset: Int, droppable: Bool) {
            self.frames = frames
            self.offset = offset
            self.droppable = droppable
        }

        /// The bytes it puts on the wire.
        public var size: Int { frames.count - offset }
    }

    /// Held messages in order; `nil` where one was dropped.
    private var items: [Message?] = []
    private var head = 0
    /// No droppable message is held before this index.
    private var searchFrom = 0
    /// Messages held.
    public private(set) var count = 0
    /// Their bytes.
    public private(set) var bytes = 0
    /// Held messages the search for a droppable one has looked at, over the queue's life
    /// (for tests that count work).
    private(set) var examined = 0

    /// An empty queue.
    public init() {}

    /// `true` when nothing is held.
    public var isEmpty: Bool { count == 0 }

    /// Holds one more message.
    public mutating func append(_ message: Message) {
        items.append(message)
        count += 1
        bytes += message.size
    }

    /// Takes the oldest message.
    public mutating func popFirst() -> Message? {
        while head < items.count {
            let message = items[head]
            items[head] = nil
            head += 1
            if let message {
                count -= 1
                bytes -= message.size
                compact()
                return message
            }
        }
        compact()
        return nil
    }

    /// Drops the oldest droppable message; `false` when every held one must be sent.
    @discardableResult
    public mutating func dropOldestDroppable() -> Bool {
        var index = Swift.max(head, searchFrom)
        while index < items.count {
            examined += 1
            if let message = items[index], message.droppable {
                items[index] = nil
                count -= 1
                bytes -= message.size
                searchFrom = index + 1
                return true
            }
            index += 1
        }
        searchFrom = items.count
        return false
    }

    /// Forgets everything.
    public mutating func removeAll() {
        items = []
        head = 0
        searchFrom = 0
        count = 0
        bytes = 0
    }

    private mutating func compact() {
        if count == 0 {
            items.removeAll(keepingCapacity: items.capacity <= 256)
            head = 0
            searchFrom = 0
        } else if head > 256 && head * 2 > items.count {
            items.removeFirst(head)
            searchFrom = Swift.max(0, searchFrom - head)
            head = 0
        }
    }
}

/// What making room for one more message in a full queue came to (sans-IO): the
/// slow-consumer policy applied, asked at most once.
public enum QueueRoom: Sendable, Equatable {
    /// The message fits, after `dropped` older ones went.
    case fits(dropped: Int)
    /// The message itself is dropped, after `dropped` older ones.
    case dropThis(dropped: Int)
    /// Nothing could go (the policy disconnects, or only messages that may not be dropped
    /// are queued): the caller closes the connection.
    case mustClose

    /// Frees room until `fits()`, as `overflow()` (asked once) says: `.dropNewest` drops the
    /// new message when it is droppable, else older ones; `.dropOldest` drops older
    /// droppable ones, then the new one when none is left; a message that is not droppable
    /// (an ack, a CONNECT reply) is never dropped.
    public static func make(droppable: Bool, overflow: () -> OverflowAction, dropOldest: () -> Bool, fits: () -> Bool) -> QueueRoom {
        var dropped = 0
        var action: OverflowAction?
        while !fits() {
            if action == nil { action = overflow() }
            let droppedOld: Bool
            switch action! {
            case .disconnect: droppedOld = false
            case .dropNewest:
                if droppable { return .dropThis(dropped: dropped) }
                droppedOld = dropOldest()
            case .dropOldest:
                droppedOld = dropOldest()
                if !droppedOld && droppable { return .dropThis(dropped: dropped) }
            }
            guard droppedOld else { return .mustClose }
            dropped += 1
        }
        return .fits(dropped: dropped)
    }

    /// The messages not sent: older ones dropped, plus the new one when it was; `nil` when
    /// the connection must close.
    public var dropped: Int? {
        switch self {
        case .fits(let count): count
        case .dropThis(let count): count + 1
        case .mustClose: nil
        }
    }
}
