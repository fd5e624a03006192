import Flagon
import FlagonHTTP
import FlagonJSON
import FlagonLoop
import FlagonSocketIOCore

/// The WebSocket transport: attaching one, its messages and close, and the upgrade probe from
/// long-polling.
extension EngineSession {
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

    func deliver(_ data: EngineData) {
        server.counters.value.messagesReceived &+= 1
        handler?.engineSession(self, received: data)
    }

    private func received(isText: Bool, _ bytes: ArraySlice<UInt8>) {
        server.counters.value.bytesReceived &+= bytes.count
        guard isText else { return deliver(.binary(Array(bytes))) }
        if bytes.first == EnginePacketType.message.digit {
            server.counters.value.messagesReceived &+= 1
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
            server.counters.value.upgrades += 1
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

    func abandonProbe() {
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
}
