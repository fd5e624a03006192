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
        shareWithWorkers()
    }

    /// The number of sessions held, expired ones included until they are swept.
    public var count: Int { entries.count }

    public func load(id: String) async throws -> JSONObject? {
        if let workers = sharing, let owner = workers.owner(of: id) {
            guard let answer = await workers.requests.ask(owner, workers.name("load"), Array(id.utf8)), !answer.isEmpty,
                  case .object(let values)? = try? JSONValue.parse(answer)
            else { return nil }
            return values
        }
        return loadHere(id: id)
    }

    private func loadHere(id: String) -> JSONObject? {
        guard let entry = entries[id] else { return nil }
        if entry.expires <= now() {
            entries[id] = nil
            return nil
        }
        return entry.values
    }

    public func save(id: String, values: JSONObject, lifetime: Int) async throws {
        if let workers = sharing, let owner = workers.owner(of: id) {
            let body = JSONValue.object(["id": .string(id), "values": .object(values), "lifetime": .int(lifetime)])
            _ = await workers.requests.ask(owner, workers.name("save"), Array(body.jsonString.utf8))
            return
        }
        saveHere(id: id, values: values, lifetime: lifetime)
    }

    private func saveHere(id: String, values: JSONObject, lifetime: Int) {
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
        if let workers = sharing, let owner = workers.owner(of: id) {
            workers.requests.tell(owner, workers.name("delete"), Array(id.utf8))
            return
        }
        entries[id] = nil
    }

    // MARK: Workers

    /// How the stores of one server's workers reach each other: each keeps the sessions its
    /// worker made (their ids name it), and the others ask it.
    private struct Sharing {
        let requests: WorkerRequests
        let scope: Int
        func name(_ operation: String) -> String { "sessions.\(scope).\(operation)" }
        /// The worker that keeps `id`, when it is another one.
        func owner(of id: String) -> Int? {
            guard let owner = WorkerIDs.owner(of: id), owner != WorkerIdentity.current?.index else { return nil }
            return owner
        }
    }

    /// Stores are made in the same order in every worker: the n-th of each answers for the others' n-th.
    private static var madeInWorker = 0
    private var sharing: Sharing?

    private func shareWithWorkers() {
        guard let requests = WorkerRequests.shared else { return }
        let scope = Self.madeInWorker
        Self.madeInWorker += 1
        let sharing = Sharing(requests: requests, scope: scope)
        self.sharing = sharing
        requests.serve(sharing.name("load")) { [weak self] body in
            guard let self, let values = loadHere(id: String(decoding: body, as: UTF8.self)) else { return [] }
            return Array(JSONValue.object(values).jsonString.utf8)
        }
        requests.serve(sharing.name("save")) { [weak self] body in
            guard let self, case .object(let fields)? = try? JSONValue.parse(body), let id = fields["id"]?.stringValue,
                  case .object(let values)? = fields["values"], let lifetime = fields["lifetime"]?.intValue
            else { return [] }
            saveHere(id: id, values: values, lifetime: lifetime)
            return [1]
        }
        requests.serve(sharing.name("delete")) { [weak self] body in
            self?.entries[String(decoding: body, as: UTF8.self)] = nil
            return []
        }
    }
}
