import FlagonJSON
import FlagonLoop

/// Where server-side sessions live. Implement it for Redis, a database, and so on.
///
/// ```swift
/// let store = MemorySessionStore()
/// app.use(SessionMiddleware(secretKey: key, backend: .server(store)))
/// ```
@LoopActor
public protocol SessionStore: AnyObject, Sendable {
    /// The values of the session, or `nil` when it does not exist or has expired.
    func load(id: String) async throws -> JSONObject?
    /// Stores the values for `lifetime` seconds.
    func save(id: String, values: JSONObject, lifetime: Int) async throws
    /// Forgets the session.
    func delete(id: String) async throws
}

/// Sessions kept in the process's memory, with expiry and a cap on their number (the
/// oldest-expiring are dropped first when it is reached).
@LoopActor
public final class MemorySessionStore: SessionStore {
    private var entries: [String: (values: JSONObject, expires: UInt64)] = [:]
    /// Most sessions kept (default 100,000).
    public var maxSessions: Int
    private let now: @LoopActor () -> UInt64

    /// Creates a store; `now` is a clock in milliseconds (the loop's by default).
    public init(maxSessions: Int = 100_000, now: (@LoopActor () -> UInt64)? = nil) {
        self.maxSessions = maxSessions
        self.now = now ?? { EventLoop.shared.nowMilliseconds }
    }

    /// The number of sessions held, expired ones included until they are swept.
    public var count: Int { entries.count }

    public func load(id: String) async throws -> JSONObject? {
        guard let entry = entries[id] else { return nil }
        if entry.expires <= now() {
            entries[id] = nil
            return nil
        }
        return entry.values
    }

    public func save(id: String, values: JSONObject, lifetime: Int) async throws {
        let current = now()
        if entries[id] == nil && entries.count >= maxSessions {
            entries = entries.filter { $0.value.expires > current }
            if entries.count >= maxSessions, let oldest = entries.min(by: { $0.value.expires < $1.value.expires })?.key {
                entries[oldest] = nil
            }
        }
        entries[id] = (values, current + UInt64(max(lifetime, 0)) * 1000)
    }

    public func delete(id: String) async throws {
        entries[id] = nil
    }
}
