import Flagon
import FlagonHTTP
import FlagonJSON
import FlagonLoop
import FlagonSocketIOCore

/// One Engine.IO session, on long-polling or WebSocket, possibly moving from the first
/// to the second. Messages arrive through ``onMessage``; ``send(_:)`` queues or writes.
@LoopActor
public final class EngineSession: WebSocketHandler, DeadlineOwner {
    /// The session id (160 random bits, URL-safe Base64).
    public let id: String
    /// The handshake request, kept compactly for the session's life (shared with its
    /// WebSocket when the session began on one).
    public let storedRequest: StoredRequest
    /// The handshake request (rebuilt on each read: keep a copy to read it often).
    public var request: Request { storedRequest.request }
    /// The transport in use.
    public internal(set) var transport: EngineTransport {
        get { hot.value.transport }
        set { hot.value.transport = newValue }
    }
    /// Receives the messages and the close: the one way they are delivered. ``onMessage``
    /// and ``onClose`` are a convenience that installs a handler holding the closures.
    public var handler: (any EngineSessionHandler)? {
        get { hot.value.handler }
        set { hot.value.handler = newValue }
    }

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
    var state: EngineSessionState {
        _read { yield hot.value.state }
        _modify { yield &hot.value.state }
    }
    /// `true` until the session ends.
    public var isOpen: Bool { state.isOpen }
    /// The client's IP address, as the per-address limits count it.
    var address: String? {
        get { side?.address }
        set { if newValue != nil || side != nil { sideState.address = newValue } }
    }

    let server: EngineServer
    private var heartbeat: EngineHeartbeat {
        _read { yield hot.value.heartbeat }
        _modify { yield &hot.value.heartbeat }
    }
    /// The session's place in the server's ``DeadlineQueue``: one deadline, the earliest of
    /// the heartbeat's, the upgrade probe's and the closing flush's (kept in the cell: the
    /// queue reads and writes it in one statement at a time).
    public var deadlineSlot: Int {
        get { hot.value.deadlineSlot }
        set { hot.value.deadlineSlot = newValue }
    }
    var webSocket: WebSocket? {
        get { hot.value.webSocket }
        set { hot.value.webSocket = newValue }
    }
    /// The WebSocket, for calls made per message without a retain and a release. During a
    /// synchronous call it stays alive even if the session lets go of it: its stream holds
    /// it until the stream's close callback, which runs on a later loop turn.
    private var unretainedWebSocket: UnretainedReference<WebSocket>? {
        guard let webSocket = hot.value.webSocket else { return nil }
        return UnretainedReference(webSocket)
    }

    /// What a session on a writable WebSocket never uses (the polling queue and poll, the
    /// upgrade, messages held for a busy socket, the address): kept out of line, allocated
    /// on first use, so that an idle WebSocket session stays small.
    final class SideState {
        var outbox: EngineOutbox {
            _read { yield queues.value.outbox }
            _modify { yield &queues.value.outbox }
        }
        var pendingPoll: PendingPoll?
        var pollFlushScheduled = false
        /// A long POST's packets are being handled, over several loop turns.
        var receivingPost = false
        /// The WebSocket of an upgrade in progress, and where the upgrade stands.
        var probe: WebSocket?
        var upgrade = EngineUpgrade()
        var held: HeldMessageQueue {
            _read { yield queues.value.held }
            _modify { yield &queues.value.held }
        }
        var address: String?
        /// The queues, changed per message in a cell (no dynamic exclusivity check): each is
        /// changed by its own methods, which call no code that reaches the cell.
        private let queues = LoopConfinedCell.holding((outbox: EngineOutbox(), held: HeldMessageQueue()))
    }

    var side: SideState? {
        get { hot.value.side }
        set { hot.value.side = newValue }
    }

    /// The state read or changed per message, in a cell: no dynamic exclusivity check per
    /// access. Sound because no code that runs during an access reaches the cell again: the
    /// references are read or set in one statement, and the state and heartbeat are changed
    /// by their own methods (values with no callbacks); the handler is called only after
    /// the access that read it ended.
    private struct HotState {
        var transport: EngineTransport
        var handler: (any EngineSessionHandler)?
        var state = EngineSessionState()
        var heartbeat: EngineHeartbeat
        var webSocket: WebSocket?
        var side: SideState?
        var deadlineSlot = -1
    }

    private let hot: LoopConfinedCell<HotState>

    /// `true` once the side state exists (never, for a WebSocket session that was not held up).
    var hasSideState: Bool { side != nil }

    var sideState: SideState {
        if let side { return side }
        let state = SideState()
        side = state
        return state
    }

    var outbox: EngineOutbox {
        _read { if let side { yield side.outbox } else { yield EngineOutbox() } }
        _modify { yield &sideState.outbox }
    }
    var pendingPoll: PendingPoll? {
        get { side?.pendingPoll }
        set { if newValue != nil || side != nil { sideState.pendingPoll = newValue } }
    }
    var pollFlushScheduled: Bool {
        get { side?.pollFlushScheduled ?? false }
        set { if newValue || side != nil { sideState.pollFlushScheduled = newValue } }
    }
    var probe: WebSocket? {
        get { side?.probe }
        set { if newValue != nil || side != nil { sideState.probe = newValue } }
    }
    var upgrade: EngineUpgrade {
        _read { if let side { yield side.upgrade } else { yield EngineUpgrade() } }
        _modify { yield &sideState.upgrade }
    }

    init(server: EngineServer, request: StoredRequest, transport: EngineTransport, id: String = EngineSession.makeID()) {
        self.id = id
        self.server = server
        self.storedRequest = request
        let options = server.options
        let heartbeat = EngineHeartbeat(pingInterval: options.pingInterval, pingTimeout: options.pingTimeout,
                                        now: EventLoop.shared.nowMilliseconds)
        hot = LoopConfinedCell.holding(HotState(transport: transport, heartbeat: heartbeat))
    }

    static func makeID() -> String { WorkerIDs.stamp(RandomIDs.make()) }

    func openPacket(upgrades: Bool) -> [UInt8] {
        let options = server.options
        return Self.openPacket(id: id, upgrades: upgrades, pingInterval: Int(options.pingInterval),
                               pingTimeout: Int(options.pingTimeout), maxPayload: options.maxPayload)
    }

    /// The open packet's bytes, measured and then written once into an array of exactly that
    /// length, in the order a JSON object literal had them. Not isolated: a closure handed to
    /// the standard library from loop-isolated code has its isolation checked at run time.
    nonisolated static func openPacket(id: String, upgrades: Bool, pingInterval: Int, pingTimeout: Int, maxPayload: Int) -> [UInt8] {
        let sid: StaticString = #"{"sid":"#
        let list: StaticString = upgrades ? #","upgrades":["websocket"],"pingInterval":"# : #","upgrades":[],"pingInterval":"#
        let timeout: StaticString = #","pingTimeout":"#
        let payload: StaticString = #","maxPayload":"#
        let length = 1 + sid.utf8CodeUnitCount + JSONSerializer.stringTextLength(id) + list.utf8CodeUnitCount
            + JSONSerializer.intTextLength(pingInterval) + timeout.utf8CodeUnitCount + JSONSerializer.intTextLength(pingTimeout)
            + payload.utf8CodeUnitCount + JSONSerializer.intTextLength(maxPayload) + 1
        return [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
            let start = UnsafeMutableRawPointer(buffer.baseAddress!)
            var at = start
            func put(_ text: StaticString) {
                at.copyMemory(from: text.utf8Start, byteCount: text.utf8CodeUnitCount)
                at += text.utf8CodeUnitCount
            }
            at.storeBytes(of: EnginePacketType.open.digit, as: UInt8.self)
            at += 1
            put(sid)
            at = JSONSerializer.writeString(id, at: at)
            put(list)
            at = JSONSerializer.writeInt(pingInterval, at: at)
            put(timeout)
            at = JSONSerializer.writeInt(pingTimeout, at: at)
            put(payload)
            at = JSONSerializer.writeInt(maxPayload, at: at)
            at.storeBytes(of: UInt8(ascii: "}"), as: UInt8.self)
            count = at + 1 - start
            precondition(count == length, "the open packet ended where it was measured to")
        }
    }

    func start() {
        scheduleDeadline()
    }

    /// Puts the session's earliest deadline in the server's queue (cancelled in close()).
    func scheduleDeadline() {
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
            return unretained.with { webSocket in
                if webSocket.isCompressing, let compressed = message.compressedFrames(for: webSocket) {
                    return send(frames: compressed, from: 0, on: webSocket, droppable: droppable, volatile: volatile, overflow: overflow)
                }
                return send(frames: message.buffer, from: message.frameStart, on: webSocket, droppable: droppable, volatile: volatile,
                            overflow: overflow)
            }
        }
        let size = message.buffer.count - message.frameStart
        server.counters.value.bytesSent &+= size
        server.counters.value.messagesSent &+= 1
        if volatile && pendingPoll == nil { return 1 }
        if !state.acceptsPackets { return 1 }   // the close packet is queued: nothing goes after it
        let packetCount = message.packetCount
        let room = QueueRoom.make(droppable: droppable, overflow: overflow, dropOldest: { outbox.dropOldestMessage() }) {
            outbox.count + packetCount <= server.options.maxBufferedPackets && outbox.bytes + size <= server.options.maxBufferedBytes
        }
        guard case .fits(let dropped) = room else { return dropped(room) }
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
        let sent = unretained.with { webSocket in
            webSocket.sendTextIfWritable(length: payload) { out in
                out[0] = EnginePacketType.message.digit
                body(UnsafeMutableRawBufferPointer(rebasing: out[1...]))
            }
        }
        guard sent else { return false }
        server.counters.value.bytesSent &+= payload + (payload < 126 ? 2 : payload < 65_536 ? 4 : 10)
        server.counters.value.messagesSent &+= 1
        return true
    }

    /// Sends WebSocket frames encoded beforehand, or holds them while the socket is busy.
    private func send(frames: [UInt8], from offset: Int, on webSocket: WebSocket, droppable: Bool, volatile: Bool,
                      overflow: () -> OverflowAction) -> Int? {
        let size = frames.count - offset
        server.counters.value.bytesSent &+= size
        server.counters.value.messagesSent &+= 1
        if heldCount == 0, webSocket.sendIfWritable(frames: frames, from: offset) {
            return isOpen ? 0 : nil   // the common case: straight to the socket
        }
        if volatile { return 1 }
        let room = QueueRoom.make(droppable: droppable, overflow: overflow, dropOldest: { held.dropOldestDroppable() }) {
            heldCount + 1 <= server.options.maxBufferedPackets && held.bytes + size <= server.options.maxBufferedBytes
        }
        guard case .fits(let dropped) = room else { return dropped(room) }
        held.append(HeldMessageQueue.Message(frames: frames, offset: offset, droppable: droppable))
        return dropped
    }

    /// The messages a full queue did not take; `nil` (and the session closed) when nothing
    /// could go.
    private func dropped(_ room: QueueRoom) -> Int? {
        if room == .mustClose { close(reason: .bufferFull) }
        return room.dropped
    }

    // MARK: Incoming packets

    func handle(_ packet: EnginePacket) {
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

    // MARK: Closing

    /// Ends the session from the server side.
    public func close() {
        close(reason: .serverClose)
    }

    /// Ends the session with a reason; a pending poll gets a close packet (or `pollAnswer`).
    public func close(reason: EngineCloseReason, pollAnswer: EnginePacketType = .close) {
        guard state.close(reason) else { return }
        server.remove(self)
        server.counters.value.closes[reason.rawValue, default: 0] += 1
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
