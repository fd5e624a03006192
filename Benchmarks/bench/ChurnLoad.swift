import FlagonLoop

/// `churn`: connection cycles (WebSocket, namespace CONNECT, join a room, one acked event,
/// close), `parallel` at a time, to see what a cycle leaves behind in the server.
@LoopActor
final class ChurnLoad {
    private(set) var completed = 0
    private(set) var failures = 0
    private var remaining = 0

    /// Runs `cycles` cycles on `namespace`.
    func run(port: Int, namespace: String, cycles: Int, parallel: Int) async {
        remaining = cycles
        let workers = (0..<parallel).map { _ in
            Task { @LoopActor [self] in
                while remaining > 0 {
                    remaining -= 1
                    if await cycle(port: port, namespace: namespace) { completed += 1 } else { failures += 1 }
                }
            }
        }
        for worker in workers { await worker.value }
    }

    private func cycle(port: Int, namespace: String) async -> Bool {
        guard let socket = try? await BenchSocket.connect(port: port, namespace: namespace) else { return false }
        defer { socket.close() }
        let prefix = namespace == "/" ? "" : namespace + ","
        guard await request(socket, "42\(prefix)1[\"join\"]"),
              await request(socket, "42\(prefix)2[\"echo\",1,\"two\",{\"three\":3}]") else { return false }
        return true
    }

    /// Sends an event and waits for its ack (any ACK packet), at most two seconds.
    private func request(_ socket: BenchSocket, _ text: String) async -> Bool {
        let waiter = AckWaiter()
        socket.onMessage = { [waiter] message in
            if message.first == UInt8(ascii: "3") { waiter.finish(true) }
        }
        socket.onClose = { [waiter] in waiter.finish(false) }
        return await waiter.wait(timeout: 2000) { socket.send(Array(text.utf8)) }
    }
}

/// One awaited ack with a timeout.
@LoopActor
private final class AckWaiter {
    private var continuation: CheckedContinuation<Bool, Never>?
    private var timer: LoopTimer?

    func wait(timeout: UInt64, _ start: () -> Void) async -> Bool {
        await withCheckedContinuation { continuation in
            self.continuation = continuation
            timer = LoopTimer { [self] in finish(false) }
            timer?.start(afterMilliseconds: timeout)
            start()
        }
    }

    func finish(_ result: Bool) {
        timer?.close()
        timer = nil
        continuation?.resume(returning: result)
        continuation = nil
    }
}
