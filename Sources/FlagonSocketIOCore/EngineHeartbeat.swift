/// The server side of Engine.IO v4's heartbeat, as a value driven by a clock: the server
/// pings `pingInterval` after the open packet and after each pong; a ping left without
/// a pong for `pingTimeout` ends the session. An owner whose timers run before it reads
/// its sockets (libuv does) gets ``Action/readFirst`` at the deadline: a pong may already be
/// waiting unread, so it lets one read pass happen and ticks again before the timeout counts.
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
        /// The pong is overdue: read what has arrived, then tick again (soon).
        case readFirst
        case timedOut
    }

    public let pingInterval: UInt64
    public let pingTimeout: UInt64
    /// When the next ping is due, or when the pong is overdue.
    public private(set) var nextDeadline: UInt64
    /// `true` while a ping awaits its pong.
    public private(set) var awaitingPong = false
    /// `true` once the overdue pong has had its read pass.
    private var hadReadPass = false

    /// Starts the heartbeat at the open packet.
    public init(pingInterval: UInt64, pingTimeout: UInt64, now: UInt64) {
        self.pingInterval = pingInterval
        self.pingTimeout = pingTimeout
        self.nextDeadline = now + pingInterval
    }

    /// Advances to `now`.
    public mutating func tick(now: UInt64) -> Action {
        guard now >= nextDeadline else { return .none }
        if awaitingPong {
            if hadReadPass { return .timedOut }
            hadReadPass = true
            return .readFirst
        }
        awaitingPong = true
        nextDeadline = now + pingTimeout
        return .sendPing
    }

    /// Records a pong: the next ping is due `pingInterval` from now.
    public mutating func pongReceived(now: UInt64) {
        guard awaitingPong else { return }
        awaitingPong = false
        hadReadPass = false
        nextDeadline = now + pingInterval
    }
}
