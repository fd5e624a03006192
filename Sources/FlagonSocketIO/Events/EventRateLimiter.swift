import FlagonLoop
import FlagonSocketIOCore

/// The token buckets of one socket: one for all its events (the namespace's or the
/// server's limit) and one per event that has a limit of its own.
@LoopActor
final class EventRateLimiter {
    private var all: TokenBucket?
    private var perEvent: [String: TokenBucket] = [:]
    private let eventLimits: [String: RateLimit]
    /// Events refused so far.
    private(set) var violations = 0

    init(limit: RateLimit?, eventLimits: [String: RateLimit], now: UInt64) {
        all = limit.map { TokenBucket(rate: $0.perSecond, burst: $0.burst, now: now) }
        self.eventLimits = eventLimits
    }

    /// Takes a token for `event`; `false` when the event must not run.
    func allow(_ event: String, now: UInt64) -> Bool {
        if let limit = eventLimits[event] {
            var bucket = perEvent[event] ?? TokenBucket(rate: limit.perSecond, burst: limit.burst, now: now)
            let allowed = bucket.take(now: now)
            perEvent[event] = bucket
            if !allowed {
                violations += 1
                return false
            }
        }
        if all != nil, !all!.take(now: now) {
            violations += 1
            return false
        }
        return true
    }
}
