import FlagonSocketIOCore
import Testing

@Suite struct EngineSessionStateTests {
    @Test func closingAfterFlushOnPollingWaitsForThePollOnAManualClock() {
        var state = EngineSessionState()
        #expect(state.isOpen && state.acceptsPackets)
        #expect(state.closeAfterFlush(.serverShutdown, onWebSocket: false, now: 100, flushTimeout: 1000) == .queueClosePacket)
        #expect(state.isOpen && !state.acceptsPackets)   // nothing behind the close packet
        #expect(state.closeAfterFlush(.serverClose, onWebSocket: false, now: 101, flushTimeout: 1000) == .none)
        #expect(state.polled(queueIsEmpty: false) == .none)   // the close packet is still queued
        #expect(state.tick(now: 1099) == .none)
        #expect(state.polled(queueIsEmpty: true) == .close(.serverShutdown))
        #expect(state.close(.serverShutdown) == true)
        #expect(state.close(.transportClose) == false)   // once
        #expect(!state.isOpen && state.closeReason == .serverShutdown)
    }

    @Test func aClientThatNeverPollsIsClosedAtTheDeadline() {
        var state = EngineSessionState()
        _ = state.closeAfterFlush(.serverShutdown, onWebSocket: false, now: 0, flushTimeout: 1000)
        #expect(state.tick(now: 999) == .none)
        #expect(state.tick(now: 1000) == .close(.serverShutdown))
    }

    @Test func onWebSocketTheSessionClosesAtOnce() {
        var state = EngineSessionState()
        #expect(state.closeAfterFlush(.serverShutdown, onWebSocket: true, now: 0, flushTimeout: 1000) == .close(.serverShutdown))
        #expect(state.polled(queueIsEmpty: true) == .none)
        var closed = EngineSessionState()
        #expect(closed.close(.pingTimeout) == true)
        #expect(closed.closeAfterFlush(.serverShutdown, onWebSocket: false, now: 0, flushTimeout: 10) == .none)
    }
}
