import FlagonLoop

/// `fanout`: receivers in room "bench", one sender. Steady mode sends `rate` fanouts per
/// second and measures delivery latency; capacity mode keeps `window` fanouts in flight.
@LoopActor
final class FanoutLoad: LoadCounter {
    private(set) var completed = 0
    private(set) var histogram = Histogram()
    private var timer: LoopTimer?
    private var sender: BenchSocket?
    private var nextID = 0

    func reset() {
        completed = 0
        histogram = Histogram()
    }

    /// Makes every receiver join room "bench" (waits for the acks).
    func join(_ receivers: [BenchSocket]) async {
        var waiting = receivers.count
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            for receiver in receivers {
                receiver.onMessage = { message in
                    guard ackID(message) != nil else { return }
                    waiting -= 1
                    if waiting == 0 { continuation.resume() }
                }
                receiver.send(Array(#"420["join"]"#.utf8))
            }
        }
    }

    func listen(_ receivers: [BenchSocket], measureLatency: Bool) {
        for receiver in receivers {
            receiver.onMessage = { [unowned self] message in
                completed += 1
                if measureLatency, let sent = Self.timestamp(message) {
                    histogram.record(ResourceLimits.nowMicros() &- sent)
                }
            }
        }
    }

    /// Reads the `"t":<micros>` of a fanout payload.
    private static func timestamp(_ message: UnsafeBufferPointer<UInt8>) -> UInt64? {
        // 2["fanout",{"t":123...
        var index = 0
        let end = message.count
        while index + 3 < end {
            if message[index] == UInt8(ascii: "\"") && message[index + 1] == UInt8(ascii: "t") && message[index + 2] == UInt8(ascii: "\"")
                && message[index + 3] == UInt8(ascii: ":") {
                index += 4
                var value: UInt64 = 0
                while index < end, message[index] >= 48, message[index] <= 57 {
                    value = value * 10 + UInt64(message[index] - 48)
                    index += 1
                }
                return value
            }
            index += 1
        }
        return nil
    }

    private func fanout(_ sender: BenchSocket) {
        var payload = Array(#"42"#.utf8)
        appendDecimal(nextID, to: &payload)
        nextID = (nextID + 1) % 1_000_000_000
        payload.append(contentsOf: #"["fanout",{"t":"#.utf8)
        appendDecimal(Int(ResourceLimits.nowMicros()), to: &payload)
        payload.append(contentsOf: #","s":"hello world"}]"#.utf8)
        sender.send(payload)
    }

    /// Sends `rate` fanouts per second, in ticks of 10 ms; what a late tick owes is sent with
    /// it (the count follows the clock, not the number of ticks).
    func startSteady(_ sender: BenchSocket, rate: Int) {
        self.sender = sender
        let started = ResourceLimits.nowMicros()
        var sent = 0
        timer = LoopTimer { [unowned self] in
            let due = Int((ResourceLimits.nowMicros() - started) * UInt64(rate) / 1_000_000)
            while sent < due {
                fanout(sender)
                sent += 1
            }
        }
        timer?.start(afterMilliseconds: 10, repeatMilliseconds: 10)
    }

    /// Keeps `window` fanouts in flight, each sent when one is acked.
    func startCapacity(_ sender: BenchSocket, window: Int) {
        self.sender = sender
        sender.onMessage = { [unowned self] message in
            if ackID(message) != nil { fanout(sender) }
        }
        for _ in 0..<window { fanout(sender) }
    }

    /// Keeps `window` fanouts in flight end to end: each is sent when the pacer (a receiver,
    /// on another server of a cluster) gets one, so that no server falls behind unboundedly.
    func startCapacity(_ sender: BenchSocket, window: Int, pacer: BenchSocket) {
        self.sender = sender
        let counting = pacer.onMessage
        pacer.onMessage = { [unowned self] message in
            counting?(message)
            fanout(sender)
        }
        for _ in 0..<window { fanout(sender) }
    }

    func stop() {
        timer?.close()
        timer = nil
        sender?.onMessage = nil
    }
}
