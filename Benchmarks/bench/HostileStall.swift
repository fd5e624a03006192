import FlagonLoop
import Foundation

/// `bench stall`: how long one hostile packet at the size limit (`maxPayload`, 1,000,000
/// bytes) holds up another client of the same server. A bystander keeps one acked echo in
/// flight on its own connection; an attacker sends each shape on a fresh connection, several
/// times, and waits for the server's answer (or its close). The figure per shape is the
/// bystander's longest round trip while the shape was handled, against its longest in a
/// quiet window of the same length just before.
@LoopActor
final class HostileStall {
    /// One hostile message: the Engine.IO packet the attacker sends (over WebSocket), and
    /// the namespace it joins first (`nil`: none, the packet is the CONNECT itself).
    struct Shape {
        let name: String
        let namespace: String?
        let packet: [UInt8]
        /// Engine.IO packets for one long-polling POST instead (`packet` unused).
        var payload: [[UInt8]] = []
        /// Sent as that many WebSocket messages in one write instead of one.
        var copies = 1

        /// The bytes sent.
        var size: Int { payload.isEmpty ? packet.count * copies : payload.reduce(payload.count - 1) { $0 + $1.count } }
    }

    /// The largest Engine.IO packet the bench server accepts.
    static var limit: Int { Int(ProcessInfo.processInfo.environment["BENCH_STALL_LIMIT"] ?? "") ?? 1_000_000 }

    /// The shapes, each as close to the limit as its pattern allows.
    static var shapes: [Shape] {
        let room = limit - 64
        func repeated(_ head: String, _ item: (Int) -> String, _ separator: String, _ tail: String) -> [UInt8] {
            var text = Array(head.utf8)
            var index = 0
            while true {
                let next = Array(((index == 0 ? "" : separator) + item(index)).utf8)
                if text.count + next.count + tail.utf8.count > room { break }
                text += next
                index += 1
            }
            return text + Array(tail.utf8)
        }
        let only = ProcessInfo.processInfo.environment["BENCH_STALL_ONLY"]
        // name, namespace joined first, and the packet: head, item n, separator, tail.
        let patterns: [(String, String?, String, (Int) -> String, String, String)] = [
            ("CONNECT, auth of distinct keys", nil, "40{", { "\"k\($0)\":0" }, ",", "}"),
            ("CONNECT, auth of one key repeated", nil, "40{", { _ in "\"k\":0" }, ",", "}"),
            ("typed event, an object of distinct keys", "/typed", "42/typed,1[\"echo\",{", { "\"k\($0)\":0" }, ",", "}]"),
            ("typed event, one key repeated", "/typed", "42/typed,1[\"echo\",{", { _ in "\"n\":1" }, ",", ",\"s\":\"x\"}]"),
            ("event, an array of small numbers", "/", "421[\"echo\",[", { _ in "0" }, ",", "]]"),
            ("event, a string of escapes", "/", "421[\"echo\",\"", { _ in "\\u00e9" }, "", "\"]"),
            ("event, long numbers", "/", "421[\"echo\",[", { _ in "1.7976931348623157e308" }, ",", "]]"),
            ("event, nesting past the depth limit", "/", "421[\"echo\",", { _ in "[" }, "", ""),
            ("event, many arguments to a typed handler", "/typed", "42/typed,1[\"echo\"", { _ in "{}" }, ",", "]"),
        ]
        return patterns.map { Shape(name: $0.0, namespace: $0.1, packet: repeated($0.2, $0.3, $0.4, $0.5)) } + [
            Shape(name: "WebSocket, acked events in one write", namespace: "/", packet: Array("421[\"echo\",1]".utf8),
                  copies: room / 20),
            Shape(name: "polling POST, a payload of acked events", namespace: "/", packet: [], payload: {
                let event = Array("421[\"echo\",1]".utf8)
                return Array(repeating: event, count: room / (event.count + 1))
            }()),
        ].filter { only == nil || $0.name.contains(only!) }
    }

    struct Row {
        let name: String
        let bytes: Int
        let quietMax: Double
        let stallMax: Double
        let handled: Double
    }

    private let port: Int
    private var bystander: BenchSocket?
    private var sentAt: UInt64 = 0
    private var nextID = 1
    private var windowMax: UInt64 = 0
    private var running = true

    init(port: Int) { self.port = port }

    /// `BENCH_SHOW_REPLIES=1` prints the start of each answer.
    private static let showsReplies = ProcessInfo.processInfo.environment["BENCH_SHOW_REPLIES"] != nil

    private static var now: UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Runs every shape `times` times; one row per shape (milliseconds).
    func run(times: Int) async throws -> [Row] {
        let shapes = Self.shapes   // built before the bystander starts: building them holds this loop up
        let socket = try await BenchSocket.connect(port: port) { [self] message in acked(message) }
        bystander = socket
        sendEcho()
        await LoopTimer.sleep(milliseconds: 500)
        var rows: [Row] = []
        for shape in shapes {
            var quiet = 0.0
            var stall = 0.0
            var handled = 0.0
            for _ in 0..<times {
                let started = Self.now
                windowMax = 0
                let took = try await attack(shape)
                let attackMax = windowMax
                if Self.showsReplies { print("  \(shape.name): answered after \(Double(took) / 1e6) ms, bystander's longest \(Double(attackMax) / 1e6) ms") }
                handled = max(handled, Double(took) / 1e6)
                stall = max(stall, Double(attackMax) / 1e6)
                // A quiet window of the same length (at least 50 ms) for comparison.
                windowMax = 0
                await LoopTimer.sleep(milliseconds: max(50, (Self.now - started) / 1_000_000))
                quiet = max(quiet, Double(windowMax) / 1e6)
            }
            rows.append(Row(name: shape.name, bytes: shape.size, quietMax: quiet, stallMax: stall, handled: handled))
        }
        running = false
        socket.close()
        return rows
    }

    private func sendEcho() {
        guard running, let bystander else { return }
        sentAt = Self.now
        bystander.send(Array("42\(nextID)[\"echo\",1]".utf8))
        nextID += 1
    }

    private func acked(_ message: UnsafeBufferPointer<UInt8>) {
        guard message.first == UInt8(ascii: "3") else { return }
        windowMax = max(windowMax, Self.now - sentAt)
        sendEcho()
    }

    /// Sends one shape on a new connection; how long the server took to answer or close (ns).
    private func attack(_ shape: Shape) async throws -> UInt64 {
        if !shape.payload.isEmpty { return try await post(shape) }
        let socket = try await BenchSocket.connect(port: port, connectNamespace: shape.namespace != nil,
                                                   namespace: shape.namespace ?? "/")
        var deadline: LoopTimer?
        let finished = await Self.timeUntilFinished { finish in
            var answers = 0
            socket.onMessage = { message in
                if Self.showsReplies && answers == 0 { print("  \(shape.name): " + String(decoding: message.prefix(120), as: UTF8.self)) }
                answers += 1
                if answers >= shape.copies { finish() }   // every copy answered
            }
            socket.onClose = {
                if Self.showsReplies { print("  \(shape.name): closed") }
                finish()
            }
            if shape.copies > 1 {
                socket.send(frames: Array(repeating: shape.packet, count: shape.copies))
            } else {
                socket.send(shape.packet)
            }
            let timeout = LoopTimer { finish() }
            timeout.start(afterMilliseconds: 10_000)
            deadline = timeout
        }
        deadline?.close()
        socket.onMessage = nil
        socket.close()
        await LoopTimer.sleep(milliseconds: 20)
        return finished
    }

    /// Nanoseconds from now until `start`'s `finish` is first called.
    private static func timeUntilFinished(_ start: (@escaping () -> Void) -> Void) async -> UInt64 {
        let started = now
        return await withCheckedContinuation { continuation in
            var waiting: CheckedContinuation<UInt64, Never>? = continuation
            start {
                guard let waiter = waiting else { return }
                waiting = nil
                waiter.resume(returning: now - started)
            }
        }
    }

    /// Sends a shape's payload in one POST of a new polling session; how long until its answer (ns).
    private func post(_ shape: Shape) async throws -> UInt64 {
        let client = try await PollingClient.open(port: port)
        client.onMessage = { _ in }
        let took = await Self.timeUntilFinished { finish in
            client.onPosted = { finish() }
            client.onClose = { finish() }
            client.sendPayload(shape.payload)
        }
        client.close()
        await LoopTimer.sleep(milliseconds: 20)
        return took
    }

    /// `bench stall`: starts the bench server, runs every shape and prints the table.
    static func main(times: Int, port existing: Int?) async throws {
        var child: Process?
        var port = existing ?? 0
        if existing == nil { (child, port) = try await startChildServer(pin: true, workers: 1) }
        defer { child?.terminate() }
        let rows = try await HostileStall(port: port).run(times: times)
        print("one hostile packet at the size limit against a bystander's echo round trip (ms, max of \(times) sends):")
        print("| shape | bytes | server answered or closed after | bystander's longest round trip | in a quiet window |")
        print("| --- | --- | --- | --- | --- |")
        for row in rows {
            func ms(_ value: Double) -> String { String(format: "%.1f", value) }
            print("| \(row.name) | \(row.bytes) | \(ms(row.handled)) | \(ms(row.stallMax)) | \(ms(row.quietMax)) |")
        }
    }
}
