import Flagon
import FlagonHTTP
import FlagonJSON
import FlagonLoop
import FlagonSocketIOCore

/// A Socket.IO client that talks to an app in-process, without sockets (Flask-SocketIO's
/// `test_client`): it sends real long-polling requests through the app's handler stack, so
/// every Engine.IO and Socket.IO packet is encoded and decoded as on the wire.
///
/// ```swift
/// let client = try await SocketIOTestClient.connect(to: app, namespace: "/chat", auth: ["token": "t"])
/// let answer = try await client.emitWithAck("join", ["lobby"], namespace: "/chat")
/// client.received(namespace: "/chat")   // [(event, args)], in order
/// await client.close()
/// ```
@LoopActor
public final class SocketIOTestClient {
    /// An event the server sent.
    public struct ReceivedEvent: Sendable, Equatable {
        public let namespace: String
        public let name: String
        public let arguments: [JSONValue]

        /// Creates a record (for comparisons in tests).
        public init(namespace: String, name: String, arguments: [JSONValue]) {
            self.namespace = namespace
            self.name = name
            self.arguments = arguments
        }
    }

    /// Errors of the test client.
    public enum ClientError: Error, Equatable {
        case handshakeFailed(Int)
        case refused(namespace: String, JSONValue)
        case timeout
        case closed
    }

    /// The Engine.IO session id.
    public let engineID: String
    /// Every event received, in order.
    public private(set) var events: [ReceivedEvent] = []
    /// `true` once the server closed the session (or ``close()`` was called).
    public private(set) var isClosed = false
    /// The namespaces connected, with their Socket.IO ids.
    public private(set) var sids: [String: String] = [:]
    /// Namespaces the server disconnected.
    public private(set) var disconnectedByServer: [String] = []
    /// Handlers for server events that ask for an ack: the return value is the ack.
    public var ackHandlers: [String: @LoopActor ([JSONValue]) -> [JSONValue]] = [:]
    /// Events whose ack requests the client leaves unanswered (to test timeouts).
    public var unansweredEvents: Set<String> = []
    /// Extra headers sent with every request (cookies, for instance).
    public var headers: HTTPHeaders

    private let handler: any HTTPHandler
    private let path: String
    private var decoder = SocketIODecoder(decodesServerPackets: true)
    private var nextAckID = 0
    private var pendingAcks: [Int: CheckedContinuation<Result<[JSONValue], ClientError>, Never>] = [:]
    private var connectWaiters: [String: CheckedContinuation<Result<String, ClientError>, Never>] = [:]
    private var pollTask: Task<Void, Never>?

    private init(handler: any HTTPHandler, path: String, engineID: String, headers: HTTPHeaders) {
        self.handler = handler
        self.path = path
        self.engineID = engineID
        self.headers = headers
    }

    /// Opens an Engine.IO session through `handler` (an app, or the Socket.IO server
    /// itself with `path` "") and connects to `namespace`.
    public static func connect(to handler: any HTTPHandler, path: String = "/socket.io", namespace: String = "/",
                               auth: JSONValue? = nil, headers: HTTPHeaders = HTTPHeaders()) async throws -> SocketIOTestClient {
        var requestHeaders = headers
        if !requestHeaders.contains("host") { requestHeaders.add("Host", "localhost") }
        let open = try await handler.respond(to: Request(method: "GET", target: "\(path)/?EIO=4&transport=polling", headers: requestHeaders))
        guard open.status == 200, open.bodyBytes.first == UInt8(ascii: "0"),
              let sid = (try? JSONValue.parse(Array(open.bodyBytes.dropFirst())))?["sid"]?.stringValue else {
            throw ClientError.handshakeFailed(open.status)
        }
        let client = SocketIOTestClient(handler: handler, path: path, engineID: sid, headers: requestHeaders)
        client.startPolling()
        do {
            try await client.connect(namespace: namespace, auth: auth)
        } catch {
            await client.close()
            throw error
        }
        return client
    }

    /// Connects to another namespace on the same connection; returns its Socket.IO id.
    @discardableResult
    public func connect(namespace: String, auth: JSONValue? = nil) async throws -> String {
        let result: Result<String, ClientError> = await withCheckedContinuation { continuation in
            connectWaiters[namespace] = continuation
            send(SocketIOPacket(type: .connect, namespace: namespace, data: auth))
        }
        return try result.get()
    }

    /// Emits an event.
    public func emit(_ event: String, _ arguments: [JSONValue] = [], namespace: String = "/") {
        send(SocketIOPacket(type: .event, namespace: namespace, data: .array([.string(event)] + arguments)))
    }

    /// Emits an event and waits for its ack.
    public func emitWithAck(_ event: String, _ arguments: [JSONValue] = [], namespace: String = "/",
                            timeout: UInt64 = 5000) async throws -> [JSONValue] {
        let id = nextAckID
        nextAckID += 1
        let timer = LoopTimer { [weak self] in
            self?.pendingAcks.removeValue(forKey: id)?.resume(returning: .failure(.timeout))
        }
        timer.start(afterMilliseconds: timeout)
        let result: Result<[JSONValue], ClientError> = await withCheckedContinuation { continuation in
            pendingAcks[id] = continuation
            send(SocketIOPacket(type: .event, namespace: namespace, id: id, data: .array([.string(event)] + arguments)))
        }
        timer.close()
        return try result.get()
    }

    /// Leaves a namespace.
    public func disconnect(namespace: String = "/") {
        send(SocketIOPacket(type: .disconnect, namespace: namespace))
        sids[namespace] = nil
    }

    /// The events received on a namespace, in order.
    public func received(namespace: String = "/") -> [ReceivedEvent] {
        events.filter { $0.namespace == namespace }
    }

    /// Forgets the events received so far.
    public func clearReceived() { events.removeAll() }

    /// Waits until `condition` holds on the events (or the timeout passes).
    @discardableResult
    public func waitFor(timeout: UInt64 = 5000, _ condition: @escaping @LoopActor ([ReceivedEvent]) -> Bool) async -> Bool {
        let deadline = EventLoop.shared.nowMilliseconds + timeout
        while !condition(events) {
            if EventLoop.shared.nowMilliseconds >= deadline { return false }
            await LoopTimer.sleep(milliseconds: 2)
        }
        return true
    }

    /// Ends the session (sends an Engine.IO close packet).
    public func close() async {
        guard !isClosed else { return }
        // After the POST in flight, if any: one POST at a time.
        for _ in 0..<5000 where posting { await LoopTimer.sleep(milliseconds: 1) }
        await post([EnginePacket(.close)])
        isClosed = true
        pollTask?.cancel()
        failPending()
    }

    // MARK: Transport

    private var target: String { "\(path)/?EIO=4&transport=polling&sid=\(engineID)" }

    private func send(_ packet: SocketIOPacket) {
        let encoded = SocketIOEncoder.encode(packet)
        var packets = [EnginePacket(.message, .text(encoded.text))]
        packets += encoded.attachments.map { EnginePacket(.message, .binary($0)) }
        queue(packets)
    }

    /// Packets waiting for the POST in flight to end.
    private var outgoing: [EnginePacket] = []
    private var posting = false

    /// Sends packets as the official clients do: one POST at a time, the packets queued
    /// meanwhile going together in the next (a server refuses a second POST while one runs).
    private func queue(_ packets: [EnginePacket]) {
        outgoing += packets
        guard !posting else { return }
        posting = true
        Task {
            while !outgoing.isEmpty && !isClosed {
                let batch = outgoing
                outgoing = []
                await post(batch)
            }
            posting = false
        }
    }

    private func post(_ packets: [EnginePacket]) async {
        guard !isClosed else { return }
        let request = Request(method: "POST", target: target, headers: headers, body: EnginePacket.encodePayload(packets))
        let response = try? await handler.respond(to: request)
        if response?.status != 200 { markClosed() }
    }

    private func startPolling() {
        pollTask = Task { [weak self] in
            while let self, !self.isClosed, !Task.isCancelled {
                let request = Request(method: "GET", target: self.target, headers: self.headers)
                guard let response = try? await self.handler.respond(to: request), response.status == 200,
                      let packets = try? EnginePacket.decodePayload(response.bodyBytes) else {
                    self.markClosed()
                    return
                }
                for packet in packets { self.handle(packet) }
            }
        }
    }

    private func markClosed() {
        isClosed = true
        failPending()
    }

    private func failPending() {
        for (_, continuation) in pendingAcks { continuation.resume(returning: .failure(.closed)) }
        pendingAcks = [:]
        for (_, continuation) in connectWaiters { continuation.resume(returning: .failure(.closed)) }
        connectWaiters = [:]
    }

    private func handle(_ packet: EnginePacket) {
        switch packet.type {
        case .ping:
            queue([EnginePacket(.pong)])
        case .close:
            markClosed()
        case .message:
            let decoded: SocketIOPacket?
            switch packet.data {
            case .text(let bytes): decoded = try? decoder.receive(text: bytes)
            case .binary(let bytes): decoded = try? decoder.receive(binary: bytes)
            }
            if let decoded { handle(decoded) }
        default:
            break
        }
    }

    private func handle(_ packet: SocketIOPacket) {
        switch packet.type {
        case .connect:
            let sid = packet.data?["sid"]?.stringValue ?? ""
            sids[packet.namespace] = sid
            connectWaiters.removeValue(forKey: packet.namespace)?.resume(returning: .success(sid))
        case .connectError:
            connectWaiters.removeValue(forKey: packet.namespace)?
                .resume(returning: .failure(.refused(namespace: packet.namespace, packet.data ?? .null)))
        case .disconnect:
            sids[packet.namespace] = nil
            disconnectedByServer.append(packet.namespace)
        case .event, .binaryEvent:
            guard let name = packet.eventName else { return }
            events.append(ReceivedEvent(namespace: packet.namespace, name: name, arguments: packet.arguments))
            if let id = packet.id, !unansweredEvents.contains(name) {
                let answer = ackHandlers[name]?(packet.arguments) ?? []
                send(SocketIOPacket(type: .ack, namespace: packet.namespace, id: id, data: .array(answer)))
            }
        case .ack, .binaryAck:
            if let id = packet.id { pendingAcks.removeValue(forKey: id)?.resume(returning: .success(packet.arguments)) }
        }
    }
}
