import FlagonSocketIOCore
import Testing

@Suite struct EngineUpgradeTests {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func probeThenUpgradeOnAManualClock() {
        var upgrade = EngineUpgrade()
        #expect(!upgrade.isProbing && upgrade.deadline == nil)
        #expect(upgrade.begin(now: 1000, timeout: 500) == true)
        #expect(upgrade.begin(now: 1001, timeout: 500) == false)   // one probe at a time
        #expect(upgrade.state == .probing(deadline: 1500) && !upgrade.isAnswered)
        #expect(upgrade.tick(now: 1499) == .none)
        #expect(upgrade.received(bytes("2probe"), now: 1100) == .answerProbe)
        #expect(upgrade.isAnswered && upgrade.deadline == 1500)
        #expect(upgrade.received(bytes("5"), now: 1200) == .complete)
        #expect(upgrade.state == .idle)
    }

    @Test func anythingElseOrLatenessAbandonsTheProbe() {
        var wrongFirst = EngineUpgrade()
        _ = wrongFirst.begin(now: 0, timeout: 100)
        #expect(wrongFirst.received(bytes("5"), now: 1) == .abandon)   // 5 before the probe
        #expect(wrongFirst.state == .idle)

        var wrongProbe = EngineUpgrade()
        _ = wrongProbe.begin(now: 0, timeout: 100)
        #expect(wrongProbe.received(bytes("2prob"), now: 1) == .abandon)

        var binary = EngineUpgrade()
        _ = binary.begin(now: 0, timeout: 100)
        #expect(binary.receivedBinary() == .abandon)

        var late = EngineUpgrade()
        _ = late.begin(now: 0, timeout: 100)
        #expect(late.received(bytes("2probe"), now: 50) == .answerProbe)
        #expect(late.tick(now: 100) == .abandon)
        #expect(late.received(bytes("5"), now: 101) == .none)   // too late: the probe is gone

        var lateMessage = EngineUpgrade()
        _ = lateMessage.begin(now: 0, timeout: 100)
        #expect(lateMessage.received(bytes("2probe"), now: 100) == .abandon)   // a message past the deadline

        var closed = EngineUpgrade()
        _ = closed.begin(now: 0, timeout: 100)
        closed.probeClosed()
        #expect(closed.begin(now: 1, timeout: 100) == true)   // a new probe may start
    }
}
