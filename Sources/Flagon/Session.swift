import FlagonJSON
import FlagonLoop

/// A client's session: a dictionary of JSON values that survives between requests.
///
/// ```swift
/// app.get("/count") { request in
///     let count = (request.session["count"]?.intValue ?? 0) + 1
///     request.session["count"] = .int(count)
///     return "visits: \(count)"
/// }
/// ```
@LoopActor
public final class Session {
    /// The values.
    public private(set) var values: JSONObject
    /// `true` once a value was set or removed.
    public private(set) var isModified = false
    /// The server-side id, for server-side sessions that exist.
    public internal(set) var id: String?
    /// Set by ``regenerateID()``: a new id is issued when the response is sent.
    var wantsNewID = false

    /// Creates a session holding `values`.
    public init(values: JSONObject = JSONObject(), id: String? = nil) {
        self.values = values
        self.id = id
    }

    /// The value of `key`; assigning `nil` removes it.
    public subscript(key: String) -> JSONValue? {
        get { values[key] }
        set {
            values[key] = newValue
            isModified = true
        }
    }

    /// Removes every value.
    public func clear() {
        if !values.isEmpty { isModified = true }
        values = JSONObject()
    }

    /// Replaces every value at once.
    public func replace(with newValues: JSONObject) {
        values = newValues
        isModified = true
    }

    /// Issues a new id for a server-side session (do it at login against session fixation).
    public func regenerateID() {
        wantsNewID = true
        isModified = true
    }
}

enum SessionKey: RequestContextKey {
    typealias Value = Session
}

extension Request {
    /// The session loaded by ``SessionMiddleware``. Using it without that middleware is a
    /// programmer error and traps.
    @LoopActor
    public var session: Session {
        guard let session = context[SessionKey.self] else {
            preconditionFailure("request.session needs SessionMiddleware: app.use(SessionMiddleware(secretKey: ...))")
        }
        return session
    }

    /// The session, or `nil` when no ``SessionMiddleware`` ran.
    @LoopActor
    public var sessionIfLoaded: Session? { context[SessionKey.self] }
}
