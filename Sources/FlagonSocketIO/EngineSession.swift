import Flagon
import FlagonHTTP
import FlagonJSON
import FlagonLoop
import FlagonSocketIOCore

/// One Engine.IO session, on long-polling or WebSocket, possibly moving from the first
/// to the second. Messages arrive through ``onMessage``; ``send(_:)`` queues or writes.
@LoopActor
public final class EngineSession: WebSocketHandler, DeadlineOwner {
    // Properties marked @exclusivity(unchecked) are loop-confined and used per message:
    // they skip Swift's dynamic exclusivity check.
    /// The session id (160 random bits, URL-safe Base64).
    public let id: String
    /// The handshake request, kept compactly for the session's life (shared with its
    /// WebSocket when the session began on one).
    public let storedRequest: StoredRequest
    /// The handshake request (rebuilt on each read: keep a copy to read it often).
    public var request: Request { storedRequest.request }
    /// The transport in use.
    @exclusivity(unchecked) public private(set) var transport: EngineTransport
    /// Receives the messages and the close: the one way they are delivered. ``onMessage``
    /// and ``onClose`` are a convenience that installs a handler holding the closures.
    @exclusivity(unchecked) public var handler: (any EngineSessionHandler)?

    /// Called for each message from the client (sets a closure handler; see ``handler``).
    public var onMessage: ((EngineData) -> Void)? {
        get { (handler as? EngineSessionClosures)?.onMessage }
        set { closures(creating: newValue != nil)?.onMessage = newValue }
    }

    /// Called once when the session ends.
    public var onClose: ((EngineCloseReason) -> Void)? {
        get { (handler as? EngineSessionClosures)?.onClose }
        set { closures(creating: newValue != nil)?.onClose = newValue }
    }

    private func closures(creating: Bool) -> EngineSessionClosures? {
        if let closures = handler as? EngineSessionClosures { return closures }
        guard creating else { return nil }
        let closures = EngineSessionClosures()
        handler = closures
        return closures
    }
    /// Open, closing once flushed, or closed.
    @exclusivity(unchecked) private var state = EngineSessionState()
    /// `true` until the session ends.
    public var isOpen: Bool { state.isOpen }
    /// The client's IP address, as the per-address limits count it.
    var address: String? {
        get { side?.address }
        set { if newValue != nil || side != nil { sideState.address = newValue } }
    }

    private let server: EngineServer
    // Loop-confined and mutated in place per message: no dynamic exclusivity check.
    @exclusivity(unchecked) private var heartbeat: EngineHeartbeat
    /// The session's place in the server's ``DeadlineQueue``: one deadline, the earliest of
    /// the heartbeat's, the upgrade probe's and the closing flush's.
    public var deadlineSlot = -1
    @exclusivity(unchecked) private(set) var webSocket: WebSocket?
    /// The WebSocket, for calls made per message without a retain and a release. During a
    /// synchronous call it stays alive even if the session lets go of it: its stream holds
    /// it until the stream's close callback, which runs on a later loop turn.
    private var unretainedWebSocket: Unmanaged<WebSocket>? {
        guard let webSocket else { return nil }
        return Unmanaged.passUnretained(webSocket)
    }

    /// What a session on a writable WebSocket never uses (the polling queue and poll, the
    /// upgrade, messages held for a busy socket, the address): kept out of line, allocated
    /// on first use, so that an idle WebSocket session stays small.
    private final class SideState {
        // Loop-confined and mutated in place per message: no dynamic exclusivity check.
        @exclusivity(unchecked) var outbox = EngineOutbox()
        var pendingPoll: PendingPoll?
        var pollFlushScheduled = false
        /// The WebSocket of an upgrade in progress, and where the upgrade stands.
        var probe: WebSocket?
        var upgrade = EngineUpgrade()
        @exclusivity(unchecked) var held: [HeldMessage] = []
        @exclusivity(unchecked) var heldHead = 0
        @exclusivity(unchecked) var heldBytes = 0
        var address: String?
    }

    @exclusivity(unchecked) private var side: SideState?

    /// `true` once the side state exists (never, for a WebSocket session that was not held up).
    var hasSideState: Bool { side != nil }

    private var sideState: SideState {
        if let side { return side }
        let state = SideState()
        side = state
        return state
    }

    private var outbox: EngineOutbox {
        _read { if let side { yield side.outbox } else { yield EngineOutbox() } }
        _modify { yield &sideState.outbox }
    }
    private var pendingPoll: PendingPoll? {
        get { side?.pendingPoll }
        set { if newValue != nil || side != nil { sideState.pendingPoll = newValue } }
    }
    private var pollFlushScheduled: Bool {
        get { side?.pollFlushScheduled ?? false }
        set { if newValue || side != nil { sideState.pollFlushScheduled = newValue } }
    }
    private var probe: WebSocket? {
        get { side?.probe }
        set { if newValue != nil || side != nil { sideState.probe = newValue } }
    }
    private var upgrade: EngineUpgrade {
        _read { if let side { yield side.upgrade } else { yield EngineUpgrade() } }
        _modify { yield &sideState.upgrade }
    }

    init(server: EngineServer, request: StoredRequest, transport: EngineTransport, id: String = EngineSession.makeID()) {
        self.id = id
        self.server = server
        self.storedRequest = request
        self.transport = transport
        let options = server.options
        heartbeat = EngineHeartbeat(pingInterval: options.pingInterval, pingTimeout: options.pingTimeout,
                                    now: EventLoop.shared.nowMilliseconds)
    }

    static func makeID() -> String { WorkerIDs.stamp(RandomIDs.make()) }

    func openPacket(upgrades: Bool) -> [UInt8] {
        let options = server.options
        let open: JSONValue = [
            "sid": .string(id), "upgrades": upgrades ? ["websocket"] : [],
            "pingInterval": .int(Int(options.pingInterval)), "pingTimeout": .int(Int(options.pingTimeout)),
            "maxPayload": .int(options.maxPayload),
        ]
        return [EnginePacketType.open.digit] + Array(open.jsonString.utf8)
    }

    func start() {
        scheduleDeadline()
    }

    /// Puts the session's earliest deadline in the server's queue (cancelled in close()).
    private func scheduleDeadline() {
        guard isOpen else { return }
        var next = heartbeat.nextDeadline
        if let probeDeadline = upgrade.deadline { next = min(next, probeDeadline) }
        if case .closingAfterFlush(_, let flushDeadline) = state.phase { next = min(next, flushDeadline) }
        server.deadlines.schedule(self, at: next)
    }

    /// A deadline passed: the closing flush, the upgrade probe and the heartbeat each look
    /// whether it was theirs.
    public func deadlineReached() {
        let now = EventLoop.shared.nowMilliseconds
        if case .close(let reason) = state.tick(now: now) { return close(reason: reason) }
        if side?.upgrade.tick(now: now) == .abandon { abandonProbe() }
        guard isOpen else { return }
        switch heartbeat.tick(now: now) {
        case .none: break
        case .sendPing: sendPacket(EnginePacket(.ping))
        case .readFirst:
            server.deadlines.schedule(self, at: now + 1)   // the loop reads sockets before the next timers
            return
        case .timedOut:
            close(reason: .pingTimeout)
            return
        }
        scheduleDeadline()
    }

    // MARK: Sending

    /// Sends a message; `false` when the session is closed.
    @discardableResult
    public func send(_ data: EngineData) -> Bool {
        sendPacket(EnginePacket(.message, data))
    }

    /// Sends a text message.
    @discardableResult
    public func send(text: String) -> Bool { send(.text(Array(text.utf8))) }

    @discardableResult
    func sendPacket(_ packet: EnginePacket) -> Bool {
        guard isOpen else { return false }
        if let webSocket {
            // The WebSocket enforces maxBufferedBytes itself (see attach) and reports 1008.
            switch packet.data {
            case .text(let bytes): webSocket.send(textPrefix: packet.type.digit, body: bytes)
            case .binary(let bytes): webSocket.send(binary: bytes)
            }
            return isOpen
        }
        if !state.acceptsPackets { return false }   // the close packet is queued: nothing goes after it
        outbox.append(packet)
        if outbox.count > server.options.maxBufferedPackets {
            close(reason: .bufferFull)
            return false
        }
        schedulePollFlush()
        return true
    }

    /// Sends a message encoded beforehand: its frames on WebSocket, its packets on polling.
    func send(_ message: borrowing OutboundMessage) -> Bool {
        send(message, droppable: false, volatile: false) { .disconnect } != nil
    }

    /// Sends a message encoded beforehand, within the queue's limits
    /// (``EngineOptions/maxBufferedPackets`` and ``EngineOptions/maxBufferedBytes``): a
    /// message that does not fit makes `overflow` choose what to do. A `volatile` message
    /// is dropped when the transport cannot write at once. Returns how many messages were
    /// dropped (this one or older ones), or `nil` when the session is closed.
    func send(_ message: borrowing OutboundMessage, droppable: Bool, volatile: Bool,
              overflow: () -> OverflowAction) -> Int? {
        guard isOpen else { return nil }
        if let unretained = unretainedWebSocket {
            return unretained.withGuaranteedReference { webSocket in
                if webSocket.isCompressing, let compressed = message.compressedFrames(for: webSocket) {
                    return send(frames: compressed, from: 0, on: webSocket, droppable: droppable, volatile: volatile, overflow: overflow)
                }
                return send(frames: message.buffer, from: message.frameStart, on: webSocket, droppable: droppable, volatile: volatile,
                            overflow: overflow)
            }
        }
        let size = message.buffer.count - message.frameStart
        server.statistics.bytesSent &+= size
        server.statistics.messagesSent &+= 1
        if volatile && pendingPoll == nil { return 1 }
        if !state.acceptsPackets { return 1 }   // the close packet is queued: nothing goes after it
        let packetCount = message.packetCount
        let room = makeRoom(droppable: droppable, overflow: overflow, dropOldest: { outbox.dropOldestMessage() }) {
            outbox.count + packetCount <= server.options.maxBufferedPackets && outbox.bytes + size <= server.options.maxBufferedBytes
        }
        guard case .fits(let dropped) = room else { return room.dropped }
        outbox.append(message: message.packets, droppable: droppable)
        schedulePollFlush()
        return dropped
    }

    /// Sends a message written in place on a WebSocket that can take it at once (no message
    /// buffer of its own): `length` is the packet text's exact size, without the Engine.IO
    /// type; `body` writes all of it into the buffer it is given. `false`, with nothing sent,
    /// on polling, with compression, or while messages wait: send an ``OutboundMessage`` then.
    func sendMessageInPlace(length: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void) -> Bool {
        guard isOpen, let unretained = unretainedWebSocket, heldCount == 0 else { return false }
        let payload = length + 1
        let sent = unretained.withGuaranteedReference { webSocket in
            webSocket.sendTextIfWritable(length: payload) { out in
                out[0] = EnginePacketType.message.digit
                body(UnsafeMutableRawBufferPointer(rebasing: out[1...]))
            }
        }
        guard sent else { return false }
        server.statistics.bytesSent &+= payload + (payload < 126 ? 2 : payload < 65_536 ? 4 : 10)
        server.statistics.messagesSent &+= 1
        return true
    }

    /// Sends WebSocket frames encoded beforehand, or holds them while the socket is busy.
    private func send(frames: [UInt8], from offset: Int, on webSocket: WebSocket, droppable: Bool, volatile: Bool,
                      overflow: () -> OverflowAction) -> Int? {
        let size = frames.count - offset
        server.statistics.bytesSent &+= size
        server.statistics.messagesSent &+= 1
        if heldCount == 0, webSocket.sendIfWritable(frames: frames, from: offset) {
            return isOpen ? 0 : nil   // the common case: straight to the socket
        }
        if volatile { return 1 }
        let room = makeRoom(droppable: droppable, overflow: overflow, dropOldest: dropOldestHeld) {
            heldCount + 1 <= server.options.maxBufferedPackets && heldBytes + size <= server.options.maxBufferedBytes
        }
        guard case .fits(let dropped) = room else { return room.dropped }
        held.append(HeldMessage(frames: frames, offset: offset, droppable: droppable))
        heldBytes += size
        return dropped
    }

    /// What making room in a full queue came to.
    private enum Room {
        /// The message fits, after `dropped` older ones went.
        case fits(dropped: Int)
        /// The message itself is dropped, after `dropped` older ones.
        case dropThis(dropped: Int)
        /// Nothing could go: the session is closed.
        case closed

        /// What ``EngineSession/send(_:droppable:volatile:overflow:)`` returns when the message is not queued.
        var dropped: Int? {
            switch self {
            case .fits(let count): count
            case .dropThis(let count): count + 1
            case .closed: nil
            }
        }
    }

    /// Frees room for one more message until `fits`, as the overflow action says (asked
    /// once); a message that is not droppable (an ack, a CONNECT reply) is never dropped:
    /// when nothing else can go, the session closes.
    private func makeRoom(droppable: Bool, overflow: () -> OverflowAction, dropOldest: () -> Bool,
                          fits: () -> Bool) -> Room {
        var dropped = 0
        var action: OverflowAction?
        while !fits() {
            if action == nil { action = overflow() }
            let droppedOld: Bool
            switch action! {
            case .disconnect: droppedOld = false
            case .dropNewest:
                if droppable { return .dropThis(dropped: dropped) }
                droppedOld = dropOldest()
            case .dropOldest:
                droppedOld = dropOldest()
                if !droppedOld && droppable { return .dropThis(dropped: dropped) }
            }
            guard droppedOld else {
                close(reason: .bufferFull)
                return .closed
            }
            dropped += 1
        }
        return .fits(dropped: dropped)
    }

    /// A message waiting for a WebSocket whose send buffer is full.
    private struct HeldMessage {
        let frames: [UInt8]
        let offset: Int
        let droppable: Bool
        var size: Int { frames.count - offset }
    }

    private var held: [HeldMessage] {
        _read { if let side { yield side.held } else { yield [] } }
        _modify { yield &sideState.held }
    }
    private var heldHead: Int {
        get { side?.heldHead ?? 0 }
        set { if newValue != 0 || side != nil { sideState.heldHead = newValue } }
    }
    private var heldBytes: Int {
        get { side?.heldBytes ?? 0 }
        set { if newValue != 0 || side != nil { sideState.heldBytes = newValue } }
    }
    /// Messages held and not yet written.
    private var heldCount: Int {
        guard let side else { return 0 }
        return side.held.count - side.heldHead
    }

    /// Forgets every held message (nothing to do when none was ever held).
    private func dropHeld() {
        guard let side else { return }
        side.held = []
        side.heldHead = 0
        side.heldBytes = 0
    }

    private func dropOldestHeld() -> Bool {
        guard let index = held[heldHead...].firstIndex(where: \.droppable) else { return false }
        heldBytes -= held[index].size
        held.remove(at: index)
        return true
    }

    /// Writes held messages while the WebSocket takes them.
    private func flushHeld() {
        guard let webSocket else { return }
        while heldHead < held.count && webSocket.isWritable && isOpen {
            let message = held[heldHead]
            heldHead += 1
            heldBytes -= message.size
            webSocket.send(frames: message.frames, from: message.offset)
        }
        if heldCount == 0 {
            dropHeld()
        } else if heldHead > 256 {
            held.removeFirst(heldHead)
            heldHead = 0
        }
    }

    /// `true` when a message sent now goes out at once (a volatile one is not dropped).
    public var isWritable: Bool {
        if let webSocket { return heldCount == 0 && webSocket.isWritable }
        return pendingPoll != nil
    }

    // MARK: Long-polling

    private final class PendingPoll {
        let continuation: CheckedContinuation<Response, Never>
        init(_ continuation: CheckedContinuation<Response, Never>) { self.continuation = continuation }
    }

    private func schedulePollFlush() {
        guard pendingPoll != nil, !pollFlushScheduled else { return }
        pollFlushScheduled = true
        EventLoop.shared.atEndOfTurn { [self] in
            LoopActor.assumeIsolated { flushPoll() }
        }
    }

    private func flushPoll() {
        pollFlushScheduled = false
        guard pendingPoll != nil, !outbox.isEmpty else { return }
        answerPoll(outbox.take(max: server.options.maxPacketsPerPoll))
        closeIfFlushed()
    }

    /// Ends a session whose close packet has just been taken by a poll.
    private func closeIfFlushed() {
        if case .close(let reason) = state.polled(queueIsEmpty: outbox.isEmpty) { close(reason: reason) }
    }

    /// Ends the session once what is queued has been sent: over WebSocket at once (the
    /// close frame follows the queued messages), over long-polling when the client has
    /// polled its last packets and a close packet (or after a second, if it does not poll).
    public func closeAfterFlush(reason: EngineCloseReason) {
        let now = EventLoop.shared.nowMilliseconds
        switch state.closeAfterFlush(reason, onWebSocket: webSocket != nil, now: now, flushTimeout: Self.flushTimeout) {
        case .none:
            break
        case .close(let reason):
            close(reason: reason)
        case .queueClosePacket:
            outbox.append(EnginePacket(.close))
            scheduleDeadline()
            schedulePollFlush()
        }
    }

    /// How long a closing polling session waits for the poll that takes its close packet.
    private static let flushTimeout: UInt64 = 1000

    private func answerPoll(_ packets: [EnginePacket]) {
        guard let pending = pendingPoll else { return }
        pendingPoll = nil
        pending.continuation.resume(returning: Self.payloadResponse(packets))
    }

    private static func payloadResponse(_ packets: [EnginePacket]) -> Response {
        Response(status: 200, headers: ["Content-Type": "text/plain; charset=UTF-8"], body: EnginePacket.encodePayload(packets))
    }

    func poll(_ request: Request) async -> Response {
        // The session may have closed while this request was on its way here: a poll
        // parked on a closed session would never be answered.
        guard isOpen else { return EngineServer.error(.unknownSessionID) }
        if pendingPoll != nil {
            close(reason: .multiplePolls)
            return EngineServer.error(.badRequest)
        }
        if upgrade.isAnswered { return Self.payloadResponse([EnginePacket(.noop)]) }
        if !outbox.isEmpty {
            let response = Self.payloadResponse(outbox.take(max: server.options.maxPacketsPerPoll))
            closeIfFlushed()
            return response
        }
        return await withCheckedContinuation { continuation in
            let pending = PendingPoll(continuation)
            pendingPoll = pending
            request.context.onConnectionClose { [self, weak pending] in
                guard let pending, self.pendingPoll === pending else { return }
                self.pendingPoll = nil
                pending.continuation.resume(returning: Response(status: 200))
            }
        }
    }

    func receive(post request: Request) -> Response {
        guard request.body.count <= server.options.maxPayload else {
            close(reason: .payloadTooLarge)
            return Response.json(["code": .int(EngineErrorCode.badRequest.rawValue), "message": "Payload too large", "maxPayload": .int(server.options.maxPayload)],
                                 status: 413)
        }
        server.statistics.bytesReceived &+= request.body.count
        let packets: [EnginePacket]
        do {
            packets = try EnginePacket.decodePayload(request.body)
        } catch {
            close(reason: .parseError)
            return EngineServer.error(.badRequest)
        }
        for packet in packets where isOpen { handle(packet) }
        return Response(status: 200, headers: ["Content-Type": "text/html"], body: Array("ok".utf8))
    }

    // MARK: Incoming packets

    private func handle(_ packet: EnginePacket) {
        switch packet.type {
        case .message:
            deliver(packet.data)
        case .pong:
            heartbeat.pongReceived(now: EventLoop.shared.nowMilliseconds)
            scheduleDeadline()
        case .ping:
            sendPacket(EnginePacket(.pong, packet.data))
        case .close:
            close(reason: .transportClose, pollAnswer: .noop)
        case .upgrade, .noop:
            break
        case .open:
            close(reason: .parseError)
        }
    }

    // MARK: WebSocket

    func attach(_ ws: WebSocket) {
        webSocket = ws
        transport = .websocket
        // A strong reference (a weak one would slow every message down); close() drops it.
        ws.maxBufferedBytes = server.options.maxBufferedBytes
        ws.handler = self
    }

    public func webSocket(_ webSocket: WebSocket, received bytes: ArraySlice<UInt8>, isText: Bool) {
        if webSocket === probe { return probeMessage(bytes, isText: isText) }
        received(isText: isText, bytes)
    }

    public func webSocketWritable(_ webSocket: WebSocket) {
        if webSocket === self.webSocket, heldCount > 0 { flushHeld() }
    }

    public func webSocketClosed(_ webSocket: WebSocket, code: UInt16, reason: String) {
        if webSocket === probe { return probeClosed() }
        switch code {
        case 1009: close(reason: .payloadTooLarge)
        case 1008: close(reason: .bufferFull)
        case 1000, 1001, 1005: close(reason: .transportClose)
        default: close(reason: .transportError)
        }
    }

    private func deliver(_ data: EngineData) {
        server.statistics.messagesReceived &+= 1
        handler?.engineSession(self, received: data)
    }

    private func received(isText: Bool, _ bytes: ArraySlice<UInt8>) {
        server.statistics.bytesReceived &+= bytes.count
        guard isText else { return deliver(.binary(Array(bytes))) }
        if bytes.first == EnginePacketType.message.digit {
            server.statistics.messagesReceived &+= 1
            handler?.engineSession(self, receivedText: bytes.dropFirst())
            return
        }
        do {
            handle(try EnginePacket.decodeText(bytes))
        } catch {
            close(reason: .parseError)
        }
    }

    func upgradeRequest(_ request: Request) throws(HTTPError) -> Response {
        guard isOpen, transport == .polling, probe == nil, server.options.allowUpgrades else { throw HTTPError(400) }
        return try WebSocket.upgrade(request, maxMessageBytes: server.options.maxPayload, compression: server.options.perMessageDeflate) { [self] ws in
            guard self.isOpen, self.transport == .polling, self.probe == nil else { return ws.close() }
            self.beginProbe(ws)
        }
    }

    private func beginProbe(_ ws: WebSocket) {
        let now = EventLoop.shared.nowMilliseconds
        guard upgrade.begin(now: now, timeout: server.options.upgradeTimeout) else { return ws.close() }
        probe = ws
        ws.handler = self   // the same delivery path as the session's WebSocket, told apart by identity
        scheduleDeadline()
    }

    private func probeMessage(_ bytes: ArraySlice<UInt8>, isText: Bool) {
        let now = EventLoop.shared.nowMilliseconds
        switch isText ? upgrade.received(bytes, now: now) : upgrade.receivedBinary() {
        case .none:
            break
        case .answerProbe:
            probe?.send(text: "3probe")
            if pendingPoll != nil { answerPoll([EnginePacket(.noop)]) }
        case .complete:
            guard let ws = probe else { return }
            endProbe()
            if pendingPoll != nil { answerPoll([EnginePacket(.noop)]) }
            server.statistics.upgrades += 1
            attach(ws)
            for packet in outbox.takeAll() { sendPacket(packet) }
            handler?.engineSessionUpgraded(self)
        case .abandon:
            abandonProbe()
        }
    }

    /// The probe's WebSocket closed by itself.
    private func probeClosed() {
        upgrade.probeClosed()
        endProbe()
    }

    private func abandonProbe() {
        let ws = probe
        upgrade.probeClosed()
        endProbe()
        ws?.handler = nil
        ws?.close()
    }

    /// Forgets the probe and its timer (the WebSocket itself stays open when it becomes the transport).
    private func endProbe() {
        probe = nil
    }

    // MARK: Closing

    /// Ends the session from the server side.
    public func close() {
        close(reason: .serverClose)
    }

    /// Ends the session with a reason; a pending poll gets a close packet (or `pollAnswer`).
    public func close(reason: EngineCloseReason, pollAnswer: EnginePacketType = .close) {
        guard state.close(reason) else { return }
        server.remove(self)
        server.statistics.closes[reason.rawValue, default: 0] += 1
        server.deadlines.cancel(self)
        if let probe {
            probe.handler = nil
            probe.close()
            self.probe = nil
            upgrade.probeClosed()
        }
        if pendingPoll != nil { answerPoll([EnginePacket(pollAnswer)]) }
        dropHeld()
        if let webSocket {
            webSocket.handler = nil
            if reason == .parseError {
                webSocket.close(code: 1002, reason: "parse error")
            } else if reason == .payloadTooLarge {
                webSocket.close(code: 1009, reason: "message larger than maxPayload (\(server.options.maxPayload) bytes)")
            } else if reason == .bufferFull {
                webSocket.close(code: 1008, reason: "client too slow")
            } else if reason == .serverShutdown {
                webSocket.close(code: 1001, reason: "server shutting down")   // going away: clients reconnect
            } else if webSocket.isOpen {
                webSocket.close(code: 1000)
            }
        }
        let handler = self.handler
        self.handler = nil
        handler?.engineSession(self, closedWith: reason)
    }
}
