import FlagonHTTP
import FlagonJSON
#if canImport(Glibc)
import Glibc
#endif

/// Loads ``Request/session`` before the handler and saves it after.
///
/// Two backends:
/// - `.cookie`: the values travel in the cookie, as JSON signed with HMAC-SHA256 under the
///   secret key (`<base64url json>.<issued at>.<base64url tag>`), like Flask's default.
///   A tampered, malformed or expired cookie gives an empty session, never an error.
/// - `.server(store)`: the cookie holds only an unguessable id (256 random bits), signed the
///   same way; the values stay in the ``SessionStore``.
///
/// ```swift
/// app.use(SessionMiddleware(secretKey: "change me", backend: .server(MemorySessionStore())))
/// ```
public struct SessionMiddleware: Middleware {
    /// Where the values are kept.
    public enum Backend: Sendable {
        case cookie
        case server(any SessionStore)
    }

    /// The backend.
    public let backend: Backend
    /// The cookie's name (default `session`).
    public var cookieName = "session"
    /// Lifetime in seconds (default 31 days, as Flask).
    public var maxAge = 31 * 24 * 3600
    public var httpOnly = true
    public var secure = false
    public var sameSite: Cookie.SameSite? = .lax
    public var path = "/"
    public var domain: String?
    /// Largest cookie value accepted or written (default 4,000 bytes, browsers' limit).
    public var maxCookieBytes = 4000
    private let key: [UInt8]
    /// The wall clock in seconds (replaceable in tests).
    var clock: @Sendable () -> Int = { Int(time(nil)) }

    /// Creates the middleware. The key should be long and random, and secret.
    public init(secretKey: String, backend: Backend = .cookie) {
        self.init(secretKey: Array(secretKey.utf8), backend: backend)
    }

    /// Creates the middleware from key bytes.
    public init(secretKey: [UInt8], backend: Backend = .cookie) {
        precondition(!secretKey.isEmpty, "a session secret key is required")
        self.key = secretKey
        self.backend = backend
    }

    /// `true` for the server-side backend.
    public var isServerSide: Bool { if case .server = backend { true } else { false } }

    public func respond(to request: Request, next: any HTTPHandler) async throws -> Response {
        let session = await loadSession(for: request)
        request.context[SessionKey.self] = session
        var response = try await next.respond(to: request)
        await save(session, into: &response)
        return response
    }

    /// Loads the session of a request without running a handler (the Socket.IO server
    /// uses it at connect).
    public func loadSession(for request: Request) async -> Session {
        guard let cookie = request.cookies[cookieName] else { return Session() }
        switch backend {
        case .cookie:
            guard let payload = verify(cookie, purpose: "cookie"),
                  let values = try? JSONValue.parse(payload).objectValue else { return Session() }
            return Session(values: values)
        case .server(let store):
            guard let id = verify(cookie, purpose: "id").map({ String(decoding: $0, as: UTF8.self) }),
                  let values = try? await store.load(id: id) else { return Session() }
            return Session(values: values, id: id)
        }
    }

    /// Writes a changed session: a new cookie, a store update, or a deleted cookie.
    public func save(_ session: Session, into response: inout Response) async {
        guard session.isModified else { return }
        switch backend {
        case .cookie:
            if session.values.isEmpty {
                response.deleteCookie(cookieName, path: path)
                return
            }
            let payload = Array(JSONValue.object(session.values).jsonString.utf8)
            let value = sign(payload, purpose: "cookie")
            if value.utf8.count > maxCookieBytes { return }
            response.setCookie(cookie(value))
        case .server(let store):
            if session.wantsNewID, let old = session.id {
                try? await store.delete(id: old)
                session.id = nil
            }
            session.wantsNewID = false
            if session.values.isEmpty {
                if let id = session.id { try? await store.delete(id: id) }
                response.deleteCookie(cookieName, path: path)
                return
            }
            // With several workers, the id names the worker whose memory store keeps it.
            let id = session.id ?? WorkerIDs.stamp(Base64.encode(Crypto.randomBytes(32), urlSafe: true))
            session.id = id
            try? await store.save(id: id, values: session.values, lifetime: maxAge)
            response.setCookie(cookie(sign(Array(id.utf8), purpose: "id")))
        }
    }

    /// Saves values into the store under an existing session's id (server-side backend).
    public func storeValues(_ values: JSONObject, id: String) async {
        if case .server(let store) = backend { try? await store.save(id: id, values: values, lifetime: maxAge) }
    }

    /// Reads the values of a session id from the store (server-side backend).
    public func storedValues(id: String) async -> JSONObject? {
        if case .server(let store) = backend { return try? await store.load(id: id) }
        return nil
    }

    private func cookie(_ value: String) -> Cookie {
        var cookie = Cookie(name: cookieName, value: value)
        cookie.path = path
        cookie.domain = domain
        cookie.maxAge = maxAge
        cookie.httpOnly = httpOnly
        cookie.secure = secure
        cookie.sameSite = sameSite
        return cookie
    }

    func sign(_ payload: [UInt8], purpose: String) -> String {
        let body = Base64.encode(payload, urlSafe: true) + "." + String(clock())
        let tag = Crypto.hmacSHA256(key: key, data: Array("flagon.session.\(purpose).\(body)".utf8))
        return body + "." + Base64.encode(tag, urlSafe: true)
    }

    func verify(_ value: String, purpose: String) -> [UInt8]? {
        guard value.utf8.count <= maxCookieBytes else { return nil }
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let issued = Int(parts[1]), let tag = Base64.decode(String(parts[2])) else { return nil }
        let body = parts[0] + "." + parts[1]
        let expected = Crypto.hmacSHA256(key: key, data: Array("flagon.session.\(purpose).\(body)".utf8))
        guard Crypto.constantTimeEqual(tag, expected) else { return nil }
        // Any issued time, even one near Int.min or Int.max, must fail cleanly, not trap.
        let (age, overflow) = clock().subtractingReportingOverflow(issued)
        guard !overflow, age <= maxAge, age >= -300 else { return nil }
        return Base64.decode(String(parts[0]))
    }
}
