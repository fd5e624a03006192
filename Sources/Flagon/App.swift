import FlagonHTTP
import FlagonLoop
import Glibc
import Logging

/// A Flagon web application: routes, middleware, mounted sub-apps and error handlers.
///
/// ```swift
/// let app = App()
/// app.get("/") { _ in "<h1>Hello</h1>" }
/// app.get("/users/<int:id>") { request in JSONValue(["id": .int(try request.parameters.require("id", as: Int.self))]) }
/// app.use(SessionMiddleware(secretKey: key))
/// app.mount("/socket.io", sio)
/// try await app.run()                       // 127.0.0.1:5000, or $PORT
/// ```
///
/// A request goes first to the mounted apps (by path prefix, as Werkzeug's
/// `DispatcherMiddleware`), otherwise through the middleware, in the order added, to the
/// router. Errors thrown by handlers go to the error handlers; uncaught ones become 500
/// and are logged.
@LoopActor
public final class App: HTTPHandler {
    /// A handler for errors: gets the request and the error, returns the response.
    public typealias ErrorHandler = @LoopActor @Sendable (Request, any Error) async throws -> Response

    /// Where the app logs (uncaught errors, server start and stop).
    public var logger = Logger.flagon("flagon")
    /// Called when the server begins a graceful shutdown (close long-lived connections here).
    public private(set) var shutdownHooks: [@LoopActor () -> Void] = []
    /// Work run first when a graceful shutdown begins, while the server still serves (a
    /// Socket.IO server closes its sessions gradually here); awaited together.
    public private(set) var drainHooks: [@LoopActor () async -> Void] = []
    /// Run on SIGHUP (``onReload(_:)``).
    public private(set) var reloadHooks: [@LoopActor () -> Void] = []

    private let router = Router()
    private var middleware: [any Middleware] = []
    private var mounts: [(prefix: String, handler: any HTTPHandler)] = []
    private var statusHandlers: [Int: ErrorHandler] = [:]
    private var typeHandlers: [(matches: @Sendable (any Error) -> Bool, handler: ErrorHandler)] = []
    private var declarationErrors: [AppBuildError] = []
    private var validators: [@LoopActor () throws(AppBuildError) -> Void] = []
    private var chain: (any HTTPHandler)?

    /// The app's own metrics, once ``serveMetrics(at:)`` was called.
    var appMetrics: AppMetrics?
    /// Collectors added before metrics were served.
    var metricsCollectors: [@LoopActor (inout PrometheusWriter) -> Void] = []
    /// One line per request, when ``logRequests(_:)`` was called.
    var requestLog: RequestLog?

    /// Rules that name the worker a request belongs to (``routeToWorker(_:)``).
    private(set) var workerRoutes: [@LoopActor (HTTPRequestHead) -> Int?] = []

    /// Creates an empty app.
    public init() {}

    /// Adds a rule that names the worker a request must be served by, from its head alone
    /// (`nil`: any worker). With several workers, a request that names another worker is
    /// handed to it with its connection before it is answered. A Socket.IO server adds one
    /// that reads the owner from the session id.
    ///
    /// ```swift
    /// app.routeToWorker { head in head.target.hasPrefix("/game/") ? 0 : nil }
    /// ```
    public func routeToWorker(_ route: @escaping @LoopActor (HTTPRequestHead) -> Int?) {
        workerRoutes.append(route)
    }

    func enableMetrics() -> AppMetrics {
        if let appMetrics { return appMetrics }
        let metrics = AppMetrics()
        metrics.collectors = metricsCollectors
        appMetrics = metrics
        return metrics
    }

    // MARK: Routes

    /// Adds a route for several methods.
    ///
    /// ```swift
    /// app.route("/items", methods: ["GET", "POST"]) { request in "\(request.method)" }
    /// ```
    public func route<Result: ResponseConvertible>(
        _ pattern: String, methods: [String],
        _ handler: @escaping @LoopActor @Sendable (Request) async throws -> Result
    ) {
        chain = nil
        do {
            let parsed = try RoutePattern(pattern)
            router.add(methods: methods, pattern: parsed) { request in try await handler(request).makeResponse() }
        } catch {
            declarationErrors.append(error)
        }
    }

    /// Adds a `GET` route (which also answers `HEAD`).
    public func get<Result: ResponseConvertible>(_ pattern: String, _ handler: @escaping @LoopActor @Sendable (Request) async throws -> Result) {
        route(pattern, methods: ["GET"], handler)
    }

    /// Adds a `POST` route.
    public func post<Result: ResponseConvertible>(_ pattern: String, _ handler: @escaping @LoopActor @Sendable (Request) async throws -> Result) {
        route(pattern, methods: ["POST"], handler)
    }

    /// Adds a `PUT` route.
    public func put<Result: ResponseConvertible>(_ pattern: String, _ handler: @escaping @LoopActor @Sendable (Request) async throws -> Result) {
        route(pattern, methods: ["PUT"], handler)
    }

    /// Adds a `PATCH` route.
    public func patch<Result: ResponseConvertible>(_ pattern: String, _ handler: @escaping @LoopActor @Sendable (Request) async throws -> Result) {
        route(pattern, methods: ["PATCH"], handler)
    }

    /// Adds a `DELETE` route.
    public func delete<Result: ResponseConvertible>(_ pattern: String, _ handler: @escaping @LoopActor @Sendable (Request) async throws -> Result) {
        route(pattern, methods: ["DELETE"], handler)
    }

    /// Serves the files of `directory` under `prefix` (see ``StaticFiles``).
    ///
    /// ```swift
    /// app.static("/static", directory: "public")
    /// ```
    public func `static`(_ prefix: String, directory: String) {
        let files = StaticFiles(directory: directory)
        let base = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        route(base + "/<path:file>", methods: ["GET"]) { request in
            try await files.serve(request.parameters["file"] ?? "", request: request)
        }
    }

    // MARK: Middleware and mounts

    /// Adds a middleware; the first added is the outermost.
    public func use(_ middleware: any Middleware) {
        chain = nil
        self.middleware.append(middleware)
    }

    /// Adds a middleware made of a closure.
    ///
    /// ```swift
    /// app.use { request, next in
    ///     guard request.headers["X-Key"] == "k" else { return .text("no", status: 401) }
    ///     return try await next.respond(to: request)
    /// }
    /// ```
    public func use(_ body: @escaping @LoopActor @Sendable (Request, any HTTPHandler) async throws -> Response) {
        use(ClosureMiddleware(body))
    }

    /// Sends every request whose path is `prefix` or starts with `prefix/` to `handler`,
    /// which sees the rest of the path in ``Request/path`` and the prefix in ``Request/scriptName``.
    public func mount(_ prefix: String, _ handler: any HTTPHandler) {
        chain = nil
        let clean = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        mounts.append((clean, handler))
        mounts.sort { $0.prefix.count > $1.prefix.count }
        if WorkerIdentity.current != nil, let routed = handler as? any WorkerRoutedHandler {
            routeToWorker { head in
                guard head.target.hasPrefix(clean + "/") || head.target.hasPrefix(clean + "?") else { return nil }
                return routed.owningWorker(of: head)
            }
        }
    }

    /// Registers a hook run on SIGHUP (in every worker, with several): reread configuration,
    /// reopen log files.
    ///
    /// ```swift
    /// app.onReload { settings = Settings.load() }
    /// ```
    public func onReload(_ hook: @escaping @LoopActor () -> Void) {
        reloadHooks.append(hook)
    }

    /// Registers a hook run when the server starts a graceful shutdown.
    public func onShutdown(_ hook: @escaping @LoopActor () -> Void) {
        shutdownHooks.append(hook)
    }

    /// Registers work run at the start of a graceful shutdown, before the server stops
    /// accepting connections: it keeps serving until every drain hook has returned.
    ///
    /// ```swift
    /// app.onDrain { await jobs.finish() }
    /// ```
    public func onDrain(_ hook: @escaping @LoopActor () async -> Void) {
        drainHooks.append(hook)
    }

    /// Registers a check run when the app is built; throwing refuses to start.
    public func addValidator(_ check: @escaping @LoopActor () throws(AppBuildError) -> Void) {
        chain = nil
        validators.append(check)
    }

    // MARK: Errors

    /// Handles errors that are (or become) responses with this status.
    ///
    /// ```swift
    /// app.errorHandler(404) { request, _ in .html("<h1>Nothing at \(request.path)</h1>", status: 404) }
    /// ```
    public func errorHandler(_ status: Int, _ handler: @escaping ErrorHandler) {
        statusHandlers[status] = handler
    }

    /// Handles errors of a type.
    ///
    /// ```swift
    /// app.errorHandler(for: ValidationError.self) { _, error in .text(error.reason, status: 422) }
    /// ```
    public func errorHandler<E: Error>(for type: E.Type, _ handler: @escaping @LoopActor @Sendable (Request, E) async throws -> Response) {
        typeHandlers.append(({ $0 is E }, { request, error in try await handler(request, error as! E) }))
    }

    // MARK: Building and serving

    /// Checks the declaration (duplicate routes, bad patterns, validators) and prepares the
    /// handler chain. The server and the test client call it; call it yourself to fail early.
    public func build() throws(AppBuildError) {
        if let first = declarationErrors.first { throw first }
        try router.validate()
        for check in validators { try check() }
        var handler: any HTTPHandler = RouterHandler(router: router, app: self)
        for layer in middleware.reversed() {
            handler = WrappedHandler(middleware: layer, next: handler)
        }
        chain = handler
    }

    /// Answers one request through mounts, middleware, router and error handlers.
    public func respond(to request: Request) async throws -> Response {
        guard appMetrics != nil || requestLog != nil else { return try await dispatch(request) }
        let started = EventLoop.shared.currentMilliseconds
        let response = try await dispatch(request)
        appMetrics?.responsesByStatus[response.status, default: 0] += 1
        requestLog?.log(request, response, milliseconds: EventLoop.shared.currentMilliseconds - started)
        return response
    }

    private func dispatch(_ request: Request) async throws -> Response {
        for (prefix, handler) in mounts {
            guard let rest = Self.rest(of: request.path, under: prefix) else { continue }
            var inner = request
            inner.scriptName = request.scriptName + prefix
            inner.path = rest.isEmpty ? "/" : rest
            do {
                return try await handler.respond(to: inner)
            } catch {
                return await handleError(error, request: request)
            }
        }
        if chain == nil {
            do {
                try build()
            } catch {
                logger.error("app cannot be built: \(error)")
                return Response.text("Internal Server Error", status: 500)
            }
        }
        do {
            return try await chain!.respond(to: request)
        } catch {
            return await handleError(error, request: request)
        }
    }

    /// What follows `prefix` in `path` when the path is the prefix or continues it with `/`
    /// (compared byte by byte), or `nil`.
    nonisolated static func rest(of path: String, under prefix: String) -> String? {
        var path = path, prefix = prefix
        return path.withUTF8 { pathBytes in
            prefix.withUTF8 { prefixBytes -> String? in
                let length = prefixBytes.count
                guard pathBytes.count >= length, length == 0 || memcmp(pathBytes.baseAddress!, prefixBytes.baseAddress!, length) == 0,
                      pathBytes.count == length || pathBytes[length] == UInt8(ascii: "/") else { return nil }
                return String(decoding: UnsafeBufferPointer(rebasing: pathBytes[length...]), as: UTF8.self)
            }
        }
    }

    /// Turns an error into a response with the registered handlers.
    func handleError(_ error: any Error, request: Request) async -> Response {
        var current: any Error = error
        for _ in 0..<3 {   // an error handler may throw; give up after a few rounds
            do {
                if let http = current as? HTTPError {
                    if let handler = statusHandlers[http.status] { return try await handler(request, http) }
                    return http.response
                }
                if let match = typeHandlers.first(where: { $0.matches(current) }) {
                    return try await match.handler(request, current)
                }
                logger.error("uncaught error in \(request.method) \(request.fullPath): \(String(describing: current))")
                current = HTTPError(500)
            } catch {
                current = error is HTTPError ? error : HTTPError(500)
                if !(error is HTTPError) {
                    logger.error("error handler failed for \(request.method) \(request.fullPath): \(String(describing: error))")
                }
            }
        }
        return HTTPError(500).response
    }
}

/// The innermost handler: routing, automatic `OPTIONS`, 404 and 405.
struct RouterHandler: HTTPHandler {
    let router: Router
    unowned let app: App

    func respond(to request: Request) async throws -> Response {
        switch router.resolve(method: request.method, path: request.path) {
        case .found(let handler, let values):
            var routed = request
            routed.parameters = PathParameters(values: values)
            do {
                return try await handler(routed)
            } catch {
                return await app.handleError(error, request: routed)
            }
        case .options(let allow):
            return Response(status: 204, headers: ["Allow": allow.joined(separator: ", ")])
        case .methodNotAllowed(let allow):
            return await app.handleError(HTTPError(405, headers: ["Allow": allow.joined(separator: ", ")]), request: request)
        case .notFound:
            return await app.handleError(HTTPError(404), request: request)
        }
    }
}
