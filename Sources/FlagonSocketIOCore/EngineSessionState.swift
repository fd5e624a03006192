/// Whether an Engine.IO session is open, closing once its queue is flushed, or closed, as
/// a value: the owner asks it what to do and does it.
///
/// A session closed "after flush" on long-polling queues a close packet and ends when the
/// client has polled it (or after `flushTimeout`, if it never polls); on WebSocket it ends at
/// once (the close frame follows what was queued). Nothing is queued behind the close packet.
///
/// ```swift
/// var state = EngineSessionState()
/// state.closeAfterFlush(.serverShutdown, onWebSocket: false, now: 0, flushTimeout: 1000)   // .queueClosePacket
/// state.polled(queueIsEmpty: true)                                                    // .close(.serverShutdown)
/// ```
public struct EngineSessionState: Sendable, Equatable {
    /// Where the session stands.
    public enum Phase: Sendable, Equatable {
        case open
        /// A close packet is queued; the session ends when it has been polled, or at `deadline`.
        case closingAfterFlush(EngineCloseReason, deadline: UInt64)
        case closed(EngineCloseReason)
    }

    /// What the owner must do.
    public enum Action: Sendable, Equatable {
        case none
        /// Queue a close packet (polling) and wait for the poll that takes it.
        case queueClosePacket
        /// End the session now, with this reason.
        case close(EngineCloseReason)
    }

    /// Where the session stands.
    public private(set) var phase = Phase.open

    /// Creates an open session.
    public init() {}

    /// `true` until the session has closed.
    public var isOpen: Bool { if case .closed = phase { false } else { true } }

    /// `true` while new packets may be queued (not after the close packet).
    public var acceptsPackets: Bool { phase == .open }

    /// The reason the session closed, once it has.
    public var closeReason: EngineCloseReason? { if case .closed(let reason) = phase { reason } else { nil } }

    /// Asks to close once what is queued has been sent.
    public mutating func closeAfterFlush(_ reason: EngineCloseReason, onWebSocket: Bool, now: UInt64, flushTimeout: UInt64) -> Action {
        guard phase == .open else { return .none }
        if onWebSocket { return .close(reason) }
        phase = .closingAfterFlush(reason, deadline: now + flushTimeout)
        return .queueClosePacket
    }

    /// A poll took packets: the session ends when that emptied the queue after the close packet.
    public mutating func polled(queueIsEmpty: Bool) -> Action {
        guard case .closingAfterFlush(let reason, _) = phase, queueIsEmpty else { return .none }
        return .close(reason)
    }

    /// Advances to `now`: a close packet nobody polled in time ends the session anyway.
    public mutating func tick(now: UInt64) -> Action {
        guard case .closingAfterFlush(let reason, let deadline) = phase, now >= deadline else { return .none }
        return .close(reason)
    }

    /// Marks the session closed; `false` when it already was (a close runs once).
    public mutating func close(_ reason: EngineCloseReason) -> Bool {
        guard isOpen else { return false }
        phase = .closed(reason)
        return true
    }
}
