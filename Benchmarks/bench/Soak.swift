import FlagonLoop
import Foundation

/// `bench soak`: a long run against the conformance server (its class-based namespaces and
/// its 300 ms / 200 ms heartbeat): `clients` connections (80 % WebSocket, 20 % polling),
/// each sending an acked `message-with-ack` every few seconds, 1 % of the clients a second
/// closing and coming back. Passes with no lost ack, no unexpected disconnect and an RSS
/// that grows less than 3 % after the warm-up.
@LoopActor
final class Soak {
    struct Settings {
        var clients = 2000
        var duration = 120.0
        var warmup = 30.0
        var eventInterval = 4.0
        var churnPerSecond = 0.01
        var server = ".build/release/conformance-server"
    }

    /// One client, on either transport.
    @LoopActor
    final class Client {
        let websocket: BenchSocket?
        let polling: PollingClient?
        var outstanding: [Int: UInt64] = [:]
        var nextID = 1
        var leaving = false

        init(websocket: BenchSocket) {
            self.websocket = websocket
            self.polling = nil
        }

        init(polling: PollingClient) {
            self.websocket = nil
            self.polling = polling
        }

        var isClosed: Bool { websocket?.isClosed ?? polling?.isClosed ?? true }

        func send(_ text: String) {
            if let websocket { websocket.send(Array(("4" + text).utf8)) } else { polling?.send(Array(text.utf8)) }
        }

        func close() {
            leaving = true
            websocket?.close()
            polling?.close()
        }
    }

    let settings: Settings
    private var clients: [Client] = []
    private(set) var sent = 0
    private(set) var acked = 0
    private(set) var lost = 0
    private(set) var unexpectedDisconnects = 0
    private(set) var reconnects = 0
    private(set) var connectFailures = 0

    init(settings: Settings) {
        self.settings = settings
    }

    private func open(port: Int, polling: Bool) async -> Client? {
        do {
            let client: Client
            if polling {
                let connection = try await PollingClient.open(port: port)
                client = Client(polling: connection)
                connection.onMessage = { [unowned self, weak client] message in
                    if let client { received(Array(message)[...], client) }
                }
                connection.onClose = { [unowned self, weak client] in if let client { closed(client) } }
            } else {
                let socket = try await BenchSocket.connect(port: port)
                client = Client(websocket: socket)
                socket.onMessage = { [unowned self, weak client] message in
                    if let client { received(Array(message)[...], client) }
                }
                socket.onClose = { [unowned self, weak client] in if let client { closed(client) } }
            }
            return client
        } catch {
            connectFailures += 1
            return nil
        }
    }

    private func received(_ message: ArraySlice<UInt8>, _ client: Client) {
        // An ack: `3<id>[...]`.
        guard message.first == UInt8(ascii: "3") else { return }
        var id = 0
        for byte in message.dropFirst() {
            guard byte >= 48 && byte <= 57 else { break }
            id = id * 10 + Int(byte - 48)
        }
        if client.outstanding.removeValue(forKey: id) != nil { acked += 1 }
    }

    private func closed(_ client: Client) {
        if client.leaving { return }
        unexpectedDisconnects += 1
        lost += client.outstanding.count
        client.outstanding = [:]
    }

    private func emit(_ client: Client) {
        let id = client.nextID
        client.nextID += 1
        client.outstanding[id] = ResourceLimits.nowMicros()
        sent += 1
        client.send("2\(id)[\"message-with-ack\",\(id),\"soak\"]")
    }

    /// Runs the soak; returns whether it passed.
    func run() async throws -> Bool {
        let port = Int.random(in: 20_000..<40_000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: settings.server)
        process.environment = ProcessInfo.processInfo.environment.merging(["PORT": String(port)]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        let pid = process.processIdentifier
        for _ in 0..<300 {
            if let stream = try? await TCPStream.connect(to: SocketAddress(host: "127.0.0.1", port: port)) {
                stream.close()
                break
            }
            await LoopTimer.sleep(milliseconds: 20)
        }
        let pollingCount = settings.clients / 5
        for index in 0..<settings.clients {
            if let client = await open(port: port, polling: index < pollingCount) { clients.append(client) }
        }
        print("soak: \(clients.count) clients connected (\(pollingCount) polling), \(connectFailures) failed")

        let started = ResourceLimits.nowMicros()
        var warmRSS: Int?
        var samples: [(Double, Int)] = []
        var nextSample = 0.0
        var churnCredit = 0.0
        while true {
            let elapsed = Double(ResourceLimits.nowMicros() - started) / 1_000_000
            if elapsed >= settings.duration { break }
            // Events: each client about every eventInterval seconds, spread over ticks of 100 ms.
            let perTick = max(1, Int(Double(clients.count) * 0.1 / settings.eventInterval))
            for _ in 0..<perTick {
                guard let client = clients.randomElement(), !client.isClosed else { continue }
                emit(client)
            }
            // Churn: 1 % of the clients a second leave and come back.
            churnCredit += Double(clients.count) * settings.churnPerSecond * 0.1
            while churnCredit >= 1 {
                churnCredit -= 1
                let index = Int.random(in: 0..<clients.count)
                let leaving = clients[index]
                let polling = leaving.polling != nil
                // Events still unanswered when a client leaves on purpose are not counted.
                sent -= leaving.outstanding.count
                leaving.close()
                if let replacement = await open(port: port, polling: polling) {
                    clients[index] = replacement
                    reconnects += 1
                }
            }
            // Acks overdue by 10 s are lost.
            let now = ResourceLimits.nowMicros()
            for client in clients {
                for (id, at) in client.outstanding where now - at > 10_000_000 {
                    client.outstanding[id] = nil
                    lost += 1
                }
            }
            if elapsed >= nextSample {
                let rss = ResourceLimits.residentKB(pid: pid) ?? 0
                samples.append((elapsed, rss))
                if warmRSS == nil && elapsed >= settings.warmup { warmRSS = rss }
                nextSample += 10
                print(String(format: "  %5.0f s  RSS %6d KB  sent %7d  acked %7d  lost %d  unexpected disconnects %d  reconnects %d",
                             elapsed, rss, sent, acked, lost, unexpectedDisconnects, reconnects))
            }
            await LoopTimer.sleep(milliseconds: 100)
        }
        // Let the last acks arrive.
        for _ in 0..<50 where clients.contains(where: { !$0.outstanding.isEmpty }) {
            await LoopTimer.sleep(milliseconds: 100)
        }
        for client in clients { lost += client.outstanding.count; client.outstanding = [:] }
        let finalRSS = ResourceLimits.residentKB(pid: pid) ?? 0
        let base = warmRSS ?? samples.first?.1 ?? finalRSS
        let growth = base > 0 ? Double(finalRSS - base) * 100 / Double(base) : 0
        for client in clients { client.close() }
        print(String(format: "soak: %d events, %d acked, %d lost, %d unexpected disconnects, %d reconnects; RSS %d KB after warm-up -> %d KB (%+.1f %%)",
                     sent, acked, lost, unexpectedDisconnects, reconnects, base, finalRSS, growth))
        let passed = lost == 0 && unexpectedDisconnects == 0 && growth < 3 && connectFailures == 0
        print(passed ? "soak passed" : "soak FAILED")
        return passed
    }
}
