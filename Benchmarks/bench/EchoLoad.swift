import FlagonLoop

/// `echo`: each client keeps `window` acked echo events in flight; with a `rate`, events are
/// sent no faster than that many per second in all (an open-loop cap: the next event of a
/// client waits for a token when the budget is spent).
@LoopActor
final class EchoLoad: LoadCounter {
    private(set) var completed = 0
    private(set) var histogram = Histogram()
    private var sockets: [BenchSocket] = []
    private var sentAt: [[UInt64]] = []
    private let window: Int
    /// `42` and the namespace (`42/ctl,`).
    private let prefix: [UInt8]
    private let suffix: [UInt8]
    /// Events per second in all, or `nil` for as fast as the acks come.
    private let rate: Int?
    private var tokens = 0.0
    /// Events waiting for a token: (client, ack id).
    private var waiting: [(Int, Int)] = []
    private var waitingHead = 0
    private var timer: LoopTimer?
    private var refilledAt: UInt64 = 0

    init(window: Int, namespace: String = "/", event: String = "echo", payload: String = #"{"n":1,"s":"hello world"}"#, rate: Int? = nil) {
        self.window = window
        self.rate = rate
        self.suffix = Array(("[\"" + event + "\"," + payload + "]").utf8)
        self.prefix = Array(("42" + (namespace == "/" ? "" : namespace + ",")).utf8)
    }

    func reset() {
        completed = 0
        histogram = Histogram()
    }

    func start(_ sockets: [BenchSocket]) {
        self.sockets = sockets
        sentAt = Array(repeating: Array(repeating: 0, count: window), count: sockets.count)
        for (index, socket) in sockets.enumerated() {
            socket.onMessage = { [unowned self] message in
                guard let id = ackID(message) else { return }
                let slot = id % window
                let now = ResourceLimits.nowMicros()
                histogram.record(now - sentAt[index][slot])
                completed += 1
                if rate == nil { return send(index, id: id + window) }
                if tokens >= 1 {
                    tokens -= 1
                    send(index, id: id + window)
                } else {
                    waiting.append((index, id + window))
                }
            }
            for slot in 0..<window { send(index, id: slot) }
        }
        if let rate {
            refilledAt = ResourceLimits.nowMicros()
            let timer = LoopTimer { [unowned self] in refill(perMicrosecond: Double(rate) / 1_000_000) }
            timer.start(afterMilliseconds: 1, repeatMilliseconds: 1)
            self.timer = timer
        }
    }

    /// Adds the tokens of the time since the last refill (at most ten milliseconds' are kept)
    /// and sends what waited.
    private func refill(perMicrosecond: Double) {
        let now = ResourceLimits.nowMicros()
        tokens = min(tokens + Double(now - refilledAt) * perMicrosecond, perMicrosecond * 10_000)
        refilledAt = now
        while tokens >= 1 && waitingHead < waiting.count {
            let (index, id) = waiting[waitingHead]
            waitingHead += 1
            tokens -= 1
            send(index, id: id)
        }
        if waitingHead == waiting.count {
            waiting.removeAll(keepingCapacity: true)
            waitingHead = 0
        }
    }

    @inline(__always)
    private func send(_ index: Int, id rawID: Int) {
        let id = rawID % 1_000_000_000
        sentAt[index][id % window] = ResourceLimits.nowMicros()
        if sockets[index].deflates && suffix.count >= 1024 {
            var message = prefix
            appendDecimal(id, to: &message)
            message.append(contentsOf: suffix)
            sockets[index].send(message)
            return
        }
        sockets[index].send(length: prefix.count + decimalDigits(id) + suffix.count) { [prefix, suffix] out in
            out.append(contentsOf: prefix)
            appendDecimal(id, to: &out)
            out.append(contentsOf: suffix)
        }
    }

    func stop() {
        timer?.close()
        timer = nil
        for socket in sockets { socket.onMessage = nil }
    }
}
