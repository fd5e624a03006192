/// A limit on how often something may happen: `perSecond` on average, with bursts of up
/// to `burst` (a token bucket that starts full).
///
/// ```swift
/// var options = SocketIOOptions()
/// options.rateLimit = RateLimit(perSecond: 20, burst: 40)     // every event of every socket
/// sio.of("/chat").rateLimit(event: "say", RateLimit(perSecond: 2))
/// ```
public struct RateLimit: Sendable, Equatable {
    /// Average events per second.
    public var perSecond: Double
    /// Events allowed at once after a quiet period.
    public var burst: Int

    /// A limit; `burst` defaults to one second's worth.
    public init(perSecond: Double, burst: Int? = nil) {
        self.perSecond = perSecond
        self.burst = burst ?? max(1, Int(perSecond.rounded(.up)))
    }
}
