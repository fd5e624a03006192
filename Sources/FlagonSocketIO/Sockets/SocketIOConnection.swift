import FlagonJSON
import FlagonLoop
import FlagonMessagePack
import FlagonSocketIOCore

/// One Engine.IO connection seen by Socket.IO: decodes its packets and routes them to
/// the sockets of its namespaces (multiplexing).
@LoopActor
final class SocketIOConnection: EngineSessionHandler, DeadlineOwner {
    let engine: EngineSession
    private let server: SocketIOServer
    private var sockets: ConnectionSockets {
        _read { yield hot.value.sockets }
        _modify { yield &hot.value.sockets }
    }
    /// The connect timeout's place in the engine's ``DeadlineQueue`` (until a namespace
    /// accepts), kept in the cell: the queue reads and writes it in one statement at a time.
    var deadlineSlot: Int {
        get { hot.value.deadlineSlot }
        set { hot.value.deadlineSlot = newValue }
    }
    private var decoder: SocketIODecoder {
        _read { yield hot.value.decoder }
        _modify { yield &hot.value.decoder }
    }
    private var everConnected = false
    /// The text of the last event's arguments, reused for the next (see ``forwardUnparsed(_:)``).
    private var argumentText: [UInt8] {
        _read { yield hot.value.argumentText }
        _modify { yield &hot.value.argumentText }
    }
    /// The state read or changed per message, in a cell: no dynamic exclusivity check per
    /// access. Sound because no code that runs during an access reaches the cell again: the
    /// decoder is a value whose methods call nothing outside it, the socket table is read
    /// for one lookup at a time, and the argument text is filled before the handler runs
    /// and emptied after it returned.
    private struct HotState {
        var sockets = ConnectionSockets()
        var decoder: SocketIODecoder
        var argumentText: [UInt8] = []
        var deadlineSlot = -1
    }

    private let hot: LoopConfinedCell<HotState>
    /// Above this, the array is given back after the event: a connection that goes idle keeps
    /// at most this much for its next event.
    private static let keptArgumentCapacity = 256
    /// The server's parser is the msgpack one (read once: every message asks).
    let usesMessagePack: Bool

    init(engine: EngineSession, server: SocketIOServer) {
        self.engine = engine
        self.server = server
        hot = LoopConfinedCell.holding(HotState(decoder: SocketIODecoder(maxAttachments: server.options.maxAttachments)))
        usesMessagePack = server.options.parser == .msgpack
        engine.handler = self   // the session keeps the client until it closes
        // Cancelled when a namespace accepts a socket or the session closes.
        server.engine.deadlines.schedule(self, at: EventLoop.shared.nowMilliseconds + server.options.connectTimeout)
    }

    /// The connect timeout: no namespace accepted a socket in time.
    func deadlineReached() {
        if !everConnected { engine.close(reason: .serverClose) }
    }

    func engineSession(_ session: EngineSession, received data: EngineData) { received(data) }
    func engineSession(_ session: EngineSession, receivedText text: ArraySlice<UInt8>) { receivedText(text) }
    func engineSession(_ session: EngineSession, closedWith reason: EngineCloseReason) { closed(reason) }

    func engineSessionUpgraded(_ session: EngineSession) {
        guard let admin = server.instrumentation else { return }
        for socket in sockets.all where socket.isConnected { admin.transportChanged(socket) }
    }

    private func received(_ data: EngineData) {
        switch data {
        case .text(let bytes): receivedText(bytes[...])
        case .binary(let bytes):
            if usesMessagePack { return decode { () throws(SocketIOProtocolError) in try Self.messagePackPacket(bytes) } }
            decode { () throws(SocketIOProtocolError) in try decoder.receive(binary: bytes) }
        }
    }

    private func receivedText(_ text: ArraySlice<UInt8>) {
        if usesMessagePack {
            // socket.io-msgpack-parser sends every packet as binary: text is a protocol error.
            return decode { () throws(SocketIOProtocolError) in throw .invalidPayload("text message with the msgpack parser") }
        }
        if !decoder.isAwaitingAttachments && forwardUnparsed(text) { return }
        decode { () throws(SocketIOProtocolError) in try decoder.receive(text: text) }
    }

    /// Hands a text EVENT to its socket with the arguments unparsed (``RawArguments``): the
    /// JSON is checked as strictly as the decoder would, but no value is built; handlers
    /// read their parameters from the text. `false` when the packet is not an EVENT for a
    /// connected socket (the decoder takes it then).
    private func forwardUnparsed(_ text: ArraySlice<UInt8>) -> Bool {
        text.withBytes { bytes in
            guard let head = SocketIOEventSpan.scan(bytes) else { return false }
            // Not `Optional.map`: a closure handed to the standard library is checked for isolation.
            let found: Socket?
            if let range = head.namespace { found = sockets.socket(named: UnsafeBufferPointer(rebasing: bytes[range])) } else { found = sockets["/"] }
            guard let socket = found, socket.isConnected else { return false }
            let json = UnsafeBufferPointer(rebasing: bytes[head.jsonStart...])
            do {
                // The head scan read the array's start and the event name: the check goes on from the arguments.
                if let start = head.argumentsStart {
                    try JSONValue.validate(json, arrayElementsFrom: start - head.jsonStart)
                } else {
                    try JSONValue.validate(json)
                }
            } catch {
                server.options.logger.debug("closing \(engine.id): \(SocketIOProtocolError.invalidJSON)")
                engine.close(reason: .parseError)
                return true
            }
            // The arguments' text goes into the connection's reused array: a handler that keeps
            // its RawArguments keeps that array, and the next event then writes into a new one.
            var arguments = 0..<0
            if let start = head.argumentsStart {
                var end = bytes.count - 1   // the array's `]`, after which only whitespace may follow
                while bytes[end] != UInt8(ascii: "]") { end -= 1 }
                arguments = start..<end
            }
            argumentText.replaceSubrange(0..<argumentText.count, with: UnsafeBufferPointer(rebasing: bytes[arguments]))
            socket.handleEvent(UnsafeBufferPointer(rebasing: bytes[head.event]), raw: RawArguments(validatedText: argumentText),
                               ackID: head.ackID)
            if argumentText.capacity > Self.keptArgumentCapacity { argumentText = [] }
            return true
        }
    }

    /// A packet of the msgpack parser: one MessagePack map, checked as socket.io-msgpack-parser checks it.
    private static func messagePackPacket(_ bytes: [UInt8]) throws(SocketIOProtocolError) -> SocketIOPacket {
        let value: MessagePackValue
        do {
            value = try MessagePackReader.decode(bytes)
        } catch {
            throw .invalidPayload("not MessagePack: \(error.message)")
        }
        return try SocketIOPacket(messagePack: value)
    }

    private func decode(_ step: () throws(SocketIOProtocolError) -> SocketIOPacket?) {
        let packet: SocketIOPacket?
        do {
            packet = try step()
        } catch {
            server.options.logger.debug("closing \(engine.id): \(error)")
            engine.close(reason: .parseError)
            return
        }
        guard let packet else { return }
        route(packet)
    }

    private func route(_ packet: SocketIOPacket) {
        switch packet.type {
        case .connect:
            if let existing = sockets[packet.namespace] {
                // Connected already: the same answer again (a connect still running answers by itself).
                if existing.isConnected { existing.sendConnectReply() }
                return
            }
            if isFull {
                refuseNamespace(packet.namespace, Self.tooManyNamespaces)
            } else if let namespace = server.namespace(named: packet.namespace) {
                namespace.connect(connection: self, auth: packet.data)
            } else if server.hasParents {
                // A parent namespace may accept the name (and may take its time to decide).
                Task {
                    let namespace = await server.resolveNamespace(packet.namespace, auth: packet.data)
                    guard engine.isOpen, sockets[packet.namespace] == nil else { return }
                    guard let namespace else { return refuseNamespace(packet.namespace) }
                    // Others may have joined while this one was decided.
                    guard !isFull else { return refuseNamespace(packet.namespace, Self.tooManyNamespaces) }
                    namespace.connect(connection: self, auth: packet.data)
                }
            } else {
                refuseNamespace(packet.namespace)
            }
        case .disconnect:
            sockets[packet.namespace]?.finish(.clientNamespaceDisconnect)
        case .event, .binaryEvent:
            sockets[packet.namespace]?.handleEvent(packet)
        case .ack, .binaryAck:
            sockets[packet.namespace]?.handleAck(packet)
        case .connectError:
            engine.close(reason: .parseError)
        }
    }

    /// The connection has joined ``SocketIOOptions/maxNamespacesPerConnection`` namespaces.
    private var isFull: Bool { sockets.count >= server.options.maxNamespacesPerConnection }
    private static let tooManyNamespaces = "Too many namespaces"

    private func refuseNamespace(_ name: String, _ message: String = "Invalid namespace") {
        let error = SocketIOPacket(type: .connectError, namespace: name, data: ["message": .string(message)])
        _ = engine.send(OutboundMessage(error, parser: server.options.parser))
    }

    /// Namespace names compared to route this connection's packets so far (for tests that count work).
    var namespaceComparisons: Int { sockets.comparisons }

    func socketJoined(_ socket: Socket) {
        sockets[socket.namespace.name] = socket
    }

    /// A namespace accepted the socket: the connect timeout no longer applies.
    func socketConnected(_ socket: Socket) {
        everConnected = true
        server.engine.deadlines.cancel(self)
    }

    func socketLeft(_ socket: Socket) {
        if sockets[socket.namespace.name] === socket { sockets[socket.namespace.name] = nil }
    }

    private func closed(_ reason: EngineCloseReason) {
        server.engine.deadlines.cancel(self)
        let reason = DisconnectReason(reason)
        for socket in sockets.all { socket.finish(reason) }
        sockets.removeAll()
    }
}
