/// The server side of Engine.IO v4's heartbeat, as a value driven by a clock: the server
/// pings `pingInterval` after the open packet and after each pong; a ping left without
/// a pong for `pingTimeout` ends the session.
///
/// ```swift
/// var heartbeat = EngineHeartbeat(pingInterval: 300, pingTimeout: 200, now: 0)
/// heartbeat.tick(now: 300)          // .sendPing
/// heartbeat.pongReceived(now: 350)
/// heartbeat.nextDeadline            // 650
/// ```
public struct EngineHeartbeat: Sendable, Equatable {
    /// What the owner must do at a tick.
    public enum Action: Sendable, Equatable {
        case none
        case sendPing
        case timedOut
    }

    public let pingInterval: UInt64
    public let pingTimeout: UInt64
    /// When the next ping is due, or when the pong is overdue.
    public private(set) var nextDeadline: UInt64
    /// `true` while a ping awaits its pong.
    public private(set) var awaitingPong = false

    /// Starts the heartbeat at the open packet.
    public init(pingInterval: UInt64, pingTimeout: UInt64, now: UInt64) {
        self.pingInterval = pingInterval
        self.pingTimeout = pingTimeout
        self.nextDeadline = now + pingInterval
    }

    /// Advances to `now`.
    public mutating func tick(now: UInt64) -> Action {
        guard now >= nextDeadline else { return .none }
        if awaitingPong { return .timedOut }
        awaitingPong = true
        nextDeadline = now + pingTimeout
        return .sendPing
    }

    /// Records a pong: the next ping is due `pingInterval` from now.
    public mutating func pongReceived(now: UInt64) {
        guard awaitingPong else { return }
        awaitingPong = false
        nextDeadline = now + pingInterval
    }
}
