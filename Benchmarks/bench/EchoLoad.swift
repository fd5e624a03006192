import FlagonLoop

/// `echo`: each client keeps `window` acked echo events in flight.
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

    init(window: Int, namespace: String = "/", event: String = "echo", payload: String = #"{"n":1,"s":"hello world"}"#) {
        self.window = window
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
                send(index, id: id + window)
            }
            for slot in 0..<window { send(index, id: slot) }
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
        for socket in sockets { socket.onMessage = nil }
    }
}
