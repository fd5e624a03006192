import Flagon
import FlagonSocketIOCore

/// The per-address limits of an ``EngineServer``: handshakes per second (a token bucket
/// per address) and sessions open at once. Bounded: full buckets are forgotten when the
/// table grows past `maxTracked` addresses.
struct AddressLimits {
    private var buckets: [String: TokenBucket] = [:]
    private var open: [String: Int] = [:]
    private let maxTracked = 10_000

    /// The client's IP address without its port (`[::1]:5000` → `::1`).
    static func address(of request: Request) -> String? {
        guard var text = request.remoteAddress, let colon = text.lastIndex(of: ":") else { return request.remoteAddress }
        text = String(text[..<colon])
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        return text
    }

    /// `nil` when a new session from `address` may open, or why not.
    mutating func admit(_ address: String, options: EngineOptions, now: UInt64) -> String? {
        if let most = options.maxSessionsPerAddress, open[address, default: 0] >= most {
            return "Too many sessions from this address (at most \(most))"
        }
        guard let limit = options.handshakeRateLimit else { return nil }
        var bucket = buckets[address] ?? TokenBucket(rate: limit.perSecond, burst: limit.burst, now: now)
        let allowed = bucket.take(now: now)
        buckets[address] = bucket
        if buckets.count > maxTracked { buckets = buckets.filter { !$0.value.isFull(now: now) } }
        return allowed ? nil : "Too many new sessions from this address (at most \(limit.perSecond) a second)"
    }

    mutating func sessionOpened(_ address: String) { open[address, default: 0] += 1 }

    mutating func sessionClosed(_ address: String) {
        let left = open[address, default: 1] - 1
        open[address] = left > 0 ? left : nil
    }
}
