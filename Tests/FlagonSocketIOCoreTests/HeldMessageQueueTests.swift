@testable import FlagonSocketIOCore
import Testing

/// The WebSocket session's held messages and the slow-consumer policy, as values.
@Suite struct HeldMessageQueueTests {
    private func message(_ text: String, droppable: Bool = true) -> HeldMessageQueue.Message {
        HeldMessageQueue.Message(frames: [0x81, UInt8(text.utf8.count)] + Array(text.utf8), offset: 0, droppable: droppable)
    }

    @Test func messagesComeOutInOrderAndTheOldestDroppableGoesFirst() {
        var queue = HeldMessageQueue()
        queue.append(message("ack", droppable: false))
        queue.append(message("a"))
        queue.append(message("b"))
        #expect(queue.count == 3 && queue.bytes == 5 + 3 + 3)
        var dropped = queue.dropOldestDroppable()   // "a", not the ack
        #expect(dropped)
        queue.append(message("c"))
        let first = queue.popFirst(), second = queue.popFirst()
        #expect(first == message("ack", droppable: false) && second == message("b"))
        dropped = queue.dropOldestDroppable()   // "c"
        let none = !queue.dropOldestDroppable()
        #expect(dropped && none)
        let last = queue.popFirst()
        #expect(last == nil && queue.isEmpty && queue.bytes == 0)
        queue.append(message("d"))
        queue.removeAll()
        let afterAll = queue.popFirst()
        #expect(queue.isEmpty && afterAll == nil)
    }

    @Test func anOffsetCountsOnlyTheBytesAfterIt() {
        var queue = HeldMessageQueue()
        queue.append(HeldMessageQueue.Message(frames: [1, 2, 3, 4], offset: 3, droppable: false))
        #expect(queue.bytes == 1)
    }

    /// A slow client under `dropOldest` at the limit: every new message drops one; with
    /// acks queued ahead, the search never looks at a message twice (it used to shift the
    /// whole queue per drop).
    @Test func dropOldestAtTheLimitIsLinear() {
        var queue = HeldMessageQueue()
        for _ in 0..<1000 { queue.append(message("ack", droppable: false)) }
        for index in 0..<10_000 { queue.append(message(String(index % 10))) }
        var drops = 0
        for index in 0..<50_000 {
            if queue.dropOldestDroppable() { drops += 1 }
            queue.append(message(String(index % 10)))
        }
        #expect(drops == 50_000)
        #expect(queue.count == 11_000)
        #expect(queue.examined <= 2 * 61_000, "\(queue.examined)")
        var popped = 0
        while queue.popFirst() != nil { popped += 1 }
        #expect(popped == 11_000 && queue.bytes == 0)
    }

    @Test func thePolicyDropsWhatItMayAndClosesOtherwise() {
        // A queue of `capacity` slots, `used` of them taken, `droppableOld` of which may go.
        func room(_ action: OverflowAction, droppable: Bool, used: Int, droppableOld: Int, capacity: Int = 2) -> (QueueRoom, asked: Int) {
            var used = used, droppableOld = droppableOld, asked = 0
            let result = QueueRoom.make(droppable: droppable, overflow: { asked += 1; return action }, dropOldest: {
                guard droppableOld > 0 else { return false }
                droppableOld -= 1
                used -= 1
                return true
            }, fits: { used + 1 <= capacity })
            return (result, asked)
        }
        #expect(room(.dropOldest, droppable: true, used: 1, droppableOld: 1) == (.fits(dropped: 0), 0))
        #expect(room(.dropOldest, droppable: true, used: 2, droppableOld: 2) == (.fits(dropped: 1), 1))
        #expect(room(.dropOldest, droppable: true, used: 2, droppableOld: 0) == (.dropThis(dropped: 0), 1))
        #expect(room(.dropOldest, droppable: false, used: 2, droppableOld: 0) == (.mustClose, 1))
        #expect(room(.dropNewest, droppable: true, used: 2, droppableOld: 2) == (.dropThis(dropped: 0), 1))
        #expect(room(.dropNewest, droppable: false, used: 2, droppableOld: 2) == (.fits(dropped: 1), 1))   // an ack still goes in
        #expect(room(.disconnect, droppable: true, used: 2, droppableOld: 2) == (.mustClose, 1))
        #expect(room(.dropOldest, droppable: true, used: 4, droppableOld: 4, capacity: 2) == (.fits(dropped: 3), 1))   // asked once
        #expect(QueueRoom.fits(dropped: 2).dropped == 2 && QueueRoom.dropThis(dropped: 2).dropped == 3 && QueueRoom.mustClose.dropped == nil)
    }
}
