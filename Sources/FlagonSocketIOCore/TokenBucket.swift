/// A token bucket on a caller's clock (milliseconds): `rate` tokens a second, at most
/// `burst` saved up, starting full. Sans-IO: tested with a manual clock.
///
/// ```swift
/// var bucket = TokenBucket(rate: 5, burst: 5, now: 0)
/// bucket.take(now: 0)     // true, four left
/// ```
public struct TokenBucket: Sendable, Equatable {
    /// Tokens added per second.
    public let rate: Double
    /// Most tokens held.
    public let burst: Double
    private var tokens: Double
    private var updated: UInt64

    /// A full bucket.
    public init(rate: Double, burst: Int, now: UInt64) {
        self.rate = rate
        self.burst = Double(max(1, burst))
        self.tokens = self.burst
        self.updated = now
    }

    /// Takes one token; `false` (and nothing taken) when the bucket is empty.
    public mutating func take(now: UInt64) -> Bool {
        if now > updated {
            tokens = min(burst, tokens + Double(now - updated) * rate / 1000)
            updated = now
        }
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// `true` when the bucket has refilled completely by `now` (its state can be dropped).
    public func isFull(now: UInt64) -> Bool {
        tokens + Double(now &- min(now, updated)) * rate / 1000 >= burst
    }
}
