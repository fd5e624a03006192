import Flagon
import FlagonJSON
import FlagonLoop

/// Who may open the admin namespace of ``SocketIOServer/instrument(auth:mode:readOnly:serverID:namespace:)``.
///
/// ```swift
/// sio.instrument(auth: .basic(username: "admin", password: secret))
/// sio.instrument(auth: .disabled)                        // anyone: development only
/// sio.instrument(auth: .custom { auth in auth?["token"]?.stringValue == token })
/// ```
public enum AdminAuthentication: Sendable {
    /// No check (the admin UI's `auth: false`): anyone who reaches the server may watch it
    /// and, unless read-only, disconnect its clients.
    case disabled
    /// The admin UI's login form: its CONNECT payload `{username, password}` must match.
    /// `password` is the password itself, or its bcrypt hash (`$2a$`, `$2b$`, `$2y$`: what
    /// Node's admin-ui takes in its configuration), checked on libuv's thread pool, at most
    /// ``BcryptHash/maxConcurrentChecks`` at once. Compared in constant time; a successful
    /// login gets a session id (the `session` event) that the UI sends instead of the
    /// password when it reconnects.
    ///
    /// ```swift
    /// sio.instrument(auth: .basic(username: "admin", password: "$2b$10$…"))   // a hash from `htpasswd -nbBC 10 "" pw`
    /// ```
    case basic(username: String, password: String)
    /// Any rule over the CONNECT payload (python-socketio's callable `auth`).
    case custom(@LoopActor @Sendable (JSONValue?) -> Bool)
}

/// The admin UI's logins: session ids handed out after a successful basic login, each
/// valid for `lifetime` milliseconds, at most `capacity` at once (the oldest goes first).
@LoopActor
struct AdminSessions {
    private var expiries: [String: Int] = [:]
    let capacity: Int
    let lifetime: Int

    init(capacity: Int = 1000, lifetime: Int = 24 * 3600 * 1000) {
        self.capacity = capacity
        self.lifetime = lifetime
    }

    /// A new session id: 16 random bytes in hex; with several workers, the index of the
    /// worker that keeps it comes first, in 4 more hex digits.
    mutating func open(now: Int) -> String {
        expiries = expiries.filter { $0.value > now }
        if expiries.count >= capacity, let oldest = expiries.min(by: { $0.value < $1.value })?.key {
            expiries[oldest] = nil
        }
        let worker = WorkerIdentity.current.map { [UInt8($0.index >> 8), UInt8($0.index & 0xFF)] } ?? []
        let id = Self.hex(worker + Crypto.randomBytes(16))
        expiries[id] = now + lifetime
        return id
    }

    /// The worker that keeps session `id`, when it is another one of this server's.
    static func otherWorker(keeping id: String) -> Int? {
        guard let worker = WorkerIdentity.current, id.utf8.count == 36, let index = Int(id.prefix(4), radix: 16),
              index < worker.count, index != worker.index
        else { return nil }
        return index
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
    }

    /// `true` when `id` was handed out and has not expired.
    func isValid(_ id: String, now: Int) -> Bool { (expiries[id] ?? 0) > now }
}

extension AdminAuthentication {
    /// What a CONNECT payload amounts to: refused, accepted, or accepted with a new session.
    enum Verdict: Equatable {
        case refused
        case accepted
        case acceptedWithNewSession
    }

    @LoopActor
    func verdict(for auth: JSONValue?, sessions: AdminSessions, now: Int) async -> Verdict {
        switch self {
        case .disabled:
            return .accepted
        case .custom(let accept):
            return accept(auth) ? .accepted : .refused
        case .basic(let username, let password):
            if let session = auth?["sessionId"]?.stringValue, sessions.isValid(session, now: now) { return .accepted }
            guard let givenName = auth?["username"]?.stringValue, let givenPassword = auth?["password"]?.stringValue else {
                return .refused
            }
            // Digests of equal length, both compared always: the time taken says nothing about
            // where (or in which field) the texts differ.
            func digest(_ text: String) -> [UInt8] { Crypto.hmacSHA256(key: Array("flagon-admin".utf8), data: Array(text.utf8)) }
            let nameMatches = Crypto.constantTimeEqual(digest(givenName), digest(username))
            let passwordMatches = BcryptHash.isHash(password)
                ? await BcryptHash.verify(givenPassword, against: password)
                : Crypto.constantTimeEqual(digest(givenPassword), digest(password))
            return nameMatches && passwordMatches ? .acceptedWithNewSession : .refused
        }
    }
}
