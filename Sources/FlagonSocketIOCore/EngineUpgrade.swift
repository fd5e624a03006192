/// The server side of Engine.IO v4's upgrade from long-polling to WebSocket, as a value
/// driven by the probe's messages and a clock: the client opens a WebSocket and sends
/// `2probe`; the server answers `3probe` (and answers a waiting poll with a noop, so that the
/// client's polling loop pauses); the client sends `5` and the WebSocket carries the session
/// from then on. Anything else on the probe, or no `5` within the timeout, abandons it and the
/// session stays on polling.
///
/// ```swift
/// var upgrade = EngineUpgrade()
/// upgrade.begin(now: 0, timeout: 10_000)              // true
/// upgrade.received(Array("2probe".utf8), now: 5)      // .answerProbe
/// upgrade.received(Array("5".utf8), now: 9)           // .complete
/// ```
public struct EngineUpgrade: Sendable, Equatable {
    /// Where the upgrade stands.
    public enum State: Sendable, Equatable {
        /// No probe.
        case idle
        /// A WebSocket is open, waiting for `2probe`.
        case probing(deadline: UInt64)
        /// `3probe` was sent, waiting for `5`; polls are answered with a noop meanwhile.
        case answered(deadline: UInt64)
    }

    /// What the owner must do.
    public enum Action: Sendable, Equatable {
        /// Nothing.
        case none
        /// Send `3probe` on the probe, and answer a waiting poll with a noop.
        case answerProbe
        /// Move the session to the probe's WebSocket: answer a waiting poll with a noop, then
        /// send what the polling queue holds over the WebSocket.
        case complete
        /// Close the probe; the session stays on polling.
        case abandon
    }

    /// Where the upgrade stands.
    public private(set) var state = State.idle

    /// Creates an idle upgrade.
    public init() {}

    /// `true` from `3probe` to `5`: polls get a noop at once instead of waiting.
    public var isAnswered: Bool { if case .answered = state { true } else { false } }

    /// `true` while a probe is open.
    public var isProbing: Bool { state != .idle }

    /// When the probe is abandoned if it has not completed, if one is open.
    public var deadline: UInt64? {
        switch state {
        case .idle: nil
        case .probing(let deadline), .answered(let deadline): deadline
        }
    }

    /// Starts a probe; `false` when one is already open (the second is refused).
    public mutating func begin(now: UInt64, timeout: UInt64) -> Bool {
        guard state == .idle else { return false }
        state = .probing(deadline: now + timeout)
        return true
    }

    /// A text message on the probe.
    public mutating func received(_ text: some Collection<UInt8>, now: UInt64) -> Action {
        if let deadline, now >= deadline { return abandon() }
        switch state {
        case .idle:
            return .none
        case .probing(let deadline) where text.elementsEqual("2probe".utf8):
            state = .answered(deadline: deadline)
            return .answerProbe
        case .answered where text.elementsEqual("5".utf8):
            state = .idle
            return .complete
        case .probing, .answered:
            return abandon()
        }
    }

    /// A binary message on the probe: not part of the protocol.
    public mutating func receivedBinary() -> Action {
        state == .idle ? .none : abandon()
    }

    /// Advances to `now`: abandons a probe past its deadline.
    public mutating func tick(now: UInt64) -> Action {
        guard let deadline, now >= deadline else { return .none }
        return abandon()
    }

    /// The probe's WebSocket closed (or the session did): back to idle.
    public mutating func probeClosed() {
        state = .idle
    }

    private mutating func abandon() -> Action {
        state = .idle
        return .abandon
    }
}
