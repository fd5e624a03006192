import Testing
@testable import FlagonLoop

/// An owner that records when its deadline fired.
@LoopActor
private final class Alarm: DeadlineOwner {
    let name: String
    var deadlineSlot = -1
    let fired: (String) -> Void
    init(_ name: String, fired: @escaping (String) -> Void) {
        self.name = name
        self.fired = fired
    }
    func deadlineReached() { fired(name) }
}

/// Many deadlines on one timer: order, moves, cancellation, and no handle when empty.
@Suite struct DeadlineQueueTests {
    @Test @LoopActor func deadlinesFireInOrderAndMovedOrCancelledOnesFollowTheirChange() async {
        let handles = HandleGroup()
        let queue = DeadlineQueue(group: handles)
        var order: [String] = []
        let now = EventLoop.shared.nowMilliseconds
        let alarms = (0..<40).map { index in Alarm("a\(index)") { order.append($0) } }
        // Scheduled in a scrambled order; a39 and a38 are moved, a5 and a17 cancelled.
        for (index, alarm) in alarms.enumerated().reversed() { queue.schedule(alarm, at: now + 20 + UInt64((index * 7) % 40)) }
        #expect(handles.openCount == 1 && queue.count == 40)
        queue.schedule(alarms[39], at: now + 5)
        queue.schedule(alarms[38], at: now + 200)
        queue.cancel(alarms[5])
        queue.cancel(alarms[17])
        queue.cancel(alarms[17])   // twice: nothing
        #expect(queue.count == 38 && alarms[5].deadlineSlot == -1)
        for _ in 0..<100 where queue.count > 0 { await LoopTimer.sleep(milliseconds: 10) }
        let expected = (0..<38).filter { ![5, 17, 38, 39].contains($0) }.sorted { ($0 * 7) % 40 < ($1 * 7) % 40 }.map { "a\($0)" }
        #expect(order == ["a39"] + expected + ["a38"])
        #expect(queue.count == 0 && alarms.allSatisfy { $0.deadlineSlot == -1 })
        // Empty: the timer is closed, the group has no handle left.
        await handles.waitUntilEmpty()
        #expect(handles.openCount == 0)
    }

    @Test @LoopActor func anOwnerMayScheduleAgainFromItsCallback() async {
        let queue = DeadlineQueue()
        var fires = 0
        var alarm: Alarm?
        alarm = Alarm("repeat") { _ in
            fires += 1
            if fires < 3, let alarm { queue.schedule(alarm, at: EventLoop.shared.nowMilliseconds + 2) }
        }
        queue.schedule(alarm!, at: EventLoop.shared.nowMilliseconds + 2)
        for _ in 0..<100 where fires < 3 { await LoopTimer.sleep(milliseconds: 5) }
        #expect(fires == 3 && queue.count == 0)
        alarm = nil
    }
}
