import Testing
@testable import FlagonLoop
#if canImport(Glibc)
import Glibc
#endif

@LoopActor
private func awaitingHandler() async -> [Bool] {
    var seen = [EventLoop.shared.inLoop]
    await LoopTimer.sleep(milliseconds: 5)
    seen.append(EventLoop.shared.inLoop)
    try? await Task.sleep(for: .milliseconds(5))
    seen.append(EventLoop.shared.inLoop)
    await Task.yield()
    seen.append(EventLoop.shared.inLoop)
    return seen
}

@Suite struct EventLoopTests {
    @Test func loopActorCodeRunsOnTheLoopThreadAcrossAwaits() async {
        #expect(EventLoop.shared.inLoop == false)
        let seen = await awaitingHandler()
        #expect(seen == [true, true, true, true])
    }

    @Test func executeRunsClosuresFromOtherThreadsOnTheLoop() async {
        let onLoop = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            EventLoop.shared.execute { continuation.resume(returning: EventLoop.shared.inLoop) }
        }
        #expect(onLoop)
    }

    @Test func manyHopsFromManyTasksAllArriveInOrderPerTask() async {
        let counts = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var n = 0
                    for _ in 0..<200 { n = await LoopCounter.shared.increment(n) }
                    return n
                }
            }
            var all: [Int] = []
            for await value in group { all.append(value) }
            return all
        }
        #expect(counts == Array(repeating: 200, count: 8))
        #expect(await LoopCounter.shared.total == 1600)
    }

    @Test func timerFiresRepeatedlyAndClosesItsHandle() async {
        let fired = await runTimer()
        #expect(fired == 3)
    }

    @LoopActor private func runTimer() async -> Int {
        let group = HandleGroup()
        var fired = 0
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            var timer: LoopTimer?
            timer = LoopTimer(group: group) {
                fired += 1
                if fired == 3 {
                    timer?.close()
                    timer = nil
                    continuation.resume()
                }
            }
            timer?.start(afterMilliseconds: 1, repeatMilliseconds: 1)
        }
        await group.waitUntilEmpty()
        #expect(group.openCount == 0)
        return fired
    }
}

@LoopActor
final class LoopCounter {
    static let shared = LoopCounter()
    var total = 0
    func increment(_ n: Int) -> Int {
        EventLoop.shared.preconditionInLoop()
        total += 1
        return n + 1
    }

    /// A peer that closes while the server writes must not kill the process: SIGPIPE is
    /// ignored once the loop exists (the test process died of it once).
    @Test func sigpipeIsIgnored() {
        _ = EventLoop.shared
        var current = sigaction()
        sigaction(SIGPIPE, nil, &current)
        #expect(unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self))
    }
}
