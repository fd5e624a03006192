import FlagonHTTP
import FlagonJSON
import FlagonLoop

/// An HTTP request as handlers and middleware see it. A value: middleware may change a
/// copy and pass it on; per-request state shared by all layers lives in ``context``.
///
/// ```swift
/// app.post("/users/<int:id>") { request in
///     let id = try request.parameters.require("id", as: Int.self)
///     let body = try request.json()
///     let page = request.query.int("page") ?? 1
///     return JSONValue(["id": .int(id), "page": .int(page), "name": body["name"] ?? nil])
/// }
/// ```
public struct Request: Sendable {
    /// The method, such as `GET`.
    public var method: String
    /// The percent-decoded path, relative to the mount point (``scriptName``).
    public var path: String
    /// The prefix under which the handling app is mounted (WSGI's `SCRIPT_NAME`).
    public var scriptName: String = ""
    /// The raw query string, without `?`.
    public var rawQuery: String
    /// The header fields.
    public var headers: HTTPHeaders
    /// The raw body.
    public var body: [UInt8]
    /// The client's address (`host:port`), when served over TCP.
    public var remoteAddress: String?
    /// `true` when the request came over TLS (HTTPS or WSS).
    public var isSecure = false
    /// The path parameters matched by the route.
    public var parameters = PathParameters()
    /// HTTP minor version (0 or 1).
    public var minorVersion: Int = 1
    /// State shared by every layer that handles this request.
    public let context: RequestContext

    /// Creates a request (the server and the test client do this).
    public init(method: String, target: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [],
                remoteAddress: String? = nil) {
        self.method = method
        let (path, query) = Request.split(target: target)
        self.path = path
        self.rawQuery = query
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
        self.context = RequestContext()
    }

    /// A request with every field given (``StoredRequest`` rebuilds requests so).
    init(method: String, path: String, scriptName: String, rawQuery: String, headers: HTTPHeaders, body: [UInt8],
         remoteAddress: String?, parameters: PathParameters, minorVersion: Int, context: RequestContext) {
        self.method = method
        self.path = path
        self.scriptName = scriptName
        self.rawQuery = rawQuery
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
        self.parameters = parameters
        self.minorVersion = minorVersion
        self.context = context
    }

    static func split(target: String) -> (String, String) {
        // Found in the bytes (ASCII delimiters), not among the characters: no grapheme breaking.
        var target = target
        return target.withUTF8 { bytes in
            var end = 0, question = -1, escapes = false
            while end < bytes.count {
                let byte = bytes[end]
                if byte == 35 { break }                                   // #
                if byte == 63 && question < 0 { question = end }          // ?
                if byte == 37 && question < 0 { escapes = true }          // % in the path
                end += 1
            }
            let pathEnd = question < 0 ? end : question
            let path = UnsafeBufferPointer(rebasing: bytes[0..<pathEnd])
            let decodedPath = escapes ? PercentDecoding.decode(path, plusIsSpace: false) : String(decoding: path, as: UTF8.self)
            let query = question < 0 ? "" : String(decoding: UnsafeBufferPointer(rebasing: bytes[question + 1..<end]), as: UTF8.self)
            return (decodedPath, query)
        }
    }

    /// The query parameters.
    public var query: QueryParameters { QueryParameters(rawQuery) }

    /// The cookies sent by the client.
    public var cookies: [String: String] {
        headers.values(for: "cookie").reduce(into: [:]) { all, header in
            for (name, value) in Cookie.parse(header: header) where all[name] == nil { all[name] = value }
        }
    }

    /// The body as text (UTF-8).
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as JSON. Throws a 400 ``HTTPError`` when it is not JSON.
    public func json() throws(HTTPError) -> JSONValue {
        do {
            return try JSONValue.parse(body)
        } catch {
            throw HTTPError(400, "invalid JSON body")
        }
    }

    /// The body parsed as an `application/x-www-form-urlencoded` form. Throws 415 for
    /// another content type.
    public func form() throws(HTTPError) -> QueryParameters {
        let type = headers["content-type"]?.split(separator: ";").first.map { $0.trimmingSpaces.lowercased() }
        guard type == "application/x-www-form-urlencoded" else {
            throw HTTPError(415, "expected an application/x-www-form-urlencoded body")
        }
        return QueryParameters(text)
    }

    /// The full path including the mount prefix.
    public var fullPath: String { scriptName + (path == "/" && !scriptName.isEmpty ? "/" : path) }
}

/// The parameters matched by a route pattern, already checked by their converters.
///
/// ```swift
/// // route "/files/<int:year>/<path:rest>"
/// request.parameters.int("year")   // 2024
/// request.parameters["rest"]       // "a/b.txt"
/// ```
public struct PathParameters: Sendable, Equatable {
    var values: [String: String] = [:]

    /// The raw (decoded) text of a parameter.
    public subscript(name: String) -> String? { values[name] }
    /// An `<int:...>` parameter.
    public func int(_ name: String) -> Int? { values[name].flatMap { Int($0) } }
    /// A `<float:...>` parameter.
    public func double(_ name: String) -> Double? { values[name].flatMap { Double($0) } }
    /// A `<uuid:...>` parameter, lowercased.
    public func uuid(_ name: String) -> String? { values[name]?.lowercased() }

    /// A parameter converted to `type`, for handlers that know their route: the route's
    /// converter has already checked it, so this does not fail for `<int:id>` read as `Int`.
    /// A name the route does not have is a 500 that names it; text that does not convert
    /// (`<id>` read as `Int`) is a 404, as a URL that matches no route.
    ///
    /// ```swift
    /// app.get("/users/<int:id>") { request in
    ///     let id = try request.parameters.require("id", as: Int.self)
    ///     return JSONValue(["id": .int(id)])
    /// }
    /// ```
    public func require<T: LosslessStringConvertible>(_ name: String, as type: T.Type = String.self) throws(HTTPError) -> T {
        guard let text = values[name] else {
            throw HTTPError(500, "the route has no parameter named \"\(name)\"")
        }
        guard let value = T(text) else { throw HTTPError(404) }
        return value
    }
}

/// Per-request state shared by the layers that handle one request: typed storage for
/// middleware (sessions keep theirs here) and the connection's close notifications.
@LoopActor
public final class RequestContext: Sendable {
    private var storage: [ObjectIdentifier: Any] = [:]
    private var closeHandlers: [@LoopActor () -> Void] = []
    /// `true` once the client's connection is gone.
    public private(set) var isConnectionClosed = false

    nonisolated init() {}

    /// Reads a value stored under a key type.
    public subscript<Key: RequestContextKey>(_ key: Key.Type) -> Key.Value? {
        get { storage[ObjectIdentifier(key)] as? Key.Value }
        set { storage[ObjectIdentifier(key)] = newValue }
    }

    /// Calls `handler` when the client's connection closes (at once if it already has).
    /// Deferred responses (long-polling) use it to give up early.
    public func onConnectionClose(_ handler: @escaping @LoopActor () -> Void) {
        if isConnectionClosed { handler() } else { closeHandlers.append(handler) }
    }

    func connectionClosed() {
        if isConnectionClosed { return }
        isConnectionClosed = true
        let handlers = closeHandlers
        closeHandlers = []
        for handler in handlers { handler() }
    }
}

/// A key for ``RequestContext`` storage.
public protocol RequestContextKey {
    associatedtype Value
}
