import Flagon
import FlagonHTTP
import FlagonJSON
import FlagonLoop
import FlagonSocketIOCore

/// Long-polling: the GET that waits for packets, the POST that brings them, and a close that
/// waits until the last packets were taken.
extension EngineSession {
    // MARK: Long-polling

    final class PendingPoll {
        let continuation: CheckedContinuation<Response, Never>
        init(_ continuation: CheckedContinuation<Response, Never>) { self.continuation = continuation }
    }

    func schedulePollFlush() {
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

    func answerPoll(_ packets: [EnginePacket]) {
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

    /// Packets of one POST handled per loop turn. A payload of many small packets (a
    /// megabyte holds about 66,000 acked events, some 50 ms of work) lets the loop serve
    /// other clients between slices, and the POST is answered when its last packet has been
    /// handled.
    static let postPacketsPerTurn = 1024

    /// A POST's packets: handled now when they are few (then with the answer), or left to
    /// ``receive(slices:)`` when they are many.
    enum PostOutcome {
        case answered(Response)
        case many([EnginePacket])
    }

    func receive(post request: Request) -> PostOutcome {
        // One POST at a time: a second one while a long payload is handled would interleave
        // its packets with the first's.
        if sideState.receivingPost {
            close(reason: .transportError)
            return .answered(EngineServer.error(.badRequest))
        }
        guard request.body.count <= server.options.maxPayload else {
            close(reason: .payloadTooLarge)
            return .answered(Response.json(
                ["code": .int(EngineErrorCode.badRequest.rawValue), "message": "Payload too large", "maxPayload": .int(server.options.maxPayload)],
                status: 413))
        }
        server.counters.value.bytesReceived &+= request.body.count
        let packets: [EnginePacket]
        do {
            packets = try EnginePacket.decodePayload(request.body)
        } catch {
            close(reason: .parseError)
            return .answered(EngineServer.error(.badRequest))
        }
        guard packets.count <= Self.postPacketsPerTurn else { return .many(packets) }
        for packet in packets where isOpen { handle(packet) }
        return .answered(Self.postAnswer)
    }

    /// Handles a long payload's packets, a slice per loop turn; the POST's answer.
    func receive(slices packets: [EnginePacket]) async -> Response {
        sideState.receivingPost = true
        defer { sideState.receivingPost = false }
        for (index, packet) in packets.enumerated() {
            if index > 0 && index % Self.postPacketsPerTurn == 0 { await LoopTimer.sleep(milliseconds: 0) }
            guard isOpen else { break }
            handle(packet)
        }
        return Self.postAnswer
    }

    private static var postAnswer: Response { Response(status: 200, headers: ["Content-Type": "text/html"], body: Array("ok".utf8)) }
}
