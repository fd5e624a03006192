import FlagonHTTP
import FlagonLoop

/// Anything that answers requests: an ``App``, a mounted sub-application, the Socket.IO
/// server. This is Flagon's WSGI: an app is a handler, middleware wraps handlers.
///
/// ```swift
/// struct Hello: HTTPHandler {
///     func respond(to request: Request) async throws -> Response { .text("hello") }
/// }
/// ```
@LoopActor
public protocol HTTPHandler: Sendable {
    /// Answers one request.
    func respond(to request: Request) async throws -> Response
}

/// A handler made of a closure.
///
/// ```swift
/// let handler = ClosureHandler { request in .text(request.path) }
/// ```
public struct ClosureHandler: HTTPHandler {
    let body: @LoopActor @Sendable (Request) async throws -> Response

    /// Wraps `body`.
    public init(_ body: @escaping @LoopActor @Sendable (Request) async throws -> Response) {
        self.body = body
    }

    public func respond(to request: Request) async throws -> Response {
        try await body(request)
    }
}

/// A layer around the next handler: it may change the request, answer by itself
/// (short-circuit), or change the response.
///
/// ```swift
/// struct Timing: Middleware {
///     func respond(to request: Request, next: any HTTPHandler) async throws -> Response {
///         var response = try await next.respond(to: request)
///         response.headers["X-Served-By"] = "flagon"
///         return response
///     }
/// }
/// ```
@LoopActor
public protocol Middleware: Sendable {
    /// Handles `request`, usually by calling `next`.
    func respond(to request: Request, next: any HTTPHandler) async throws -> Response
}

/// A middleware made of a closure.
public struct ClosureMiddleware: Middleware {
    let body: @LoopActor @Sendable (Request, any HTTPHandler) async throws -> Response

    /// Wraps `body`.
    public init(_ body: @escaping @LoopActor @Sendable (Request, any HTTPHandler) async throws -> Response) {
        self.body = body
    }

    public func respond(to request: Request, next: any HTTPHandler) async throws -> Response {
        try await body(request, next)
    }
}

/// A middleware bound to the handler it wraps.
struct WrappedHandler: HTTPHandler {
    let middleware: any Middleware
    let next: any HTTPHandler

    func respond(to request: Request) async throws -> Response {
        try await middleware.respond(to: request, next: next)
    }
}

/// A handler whose requests belong to one worker each (a session's requests to the worker
/// that holds the session). Mounted with ``App/mount(_:_:)`` in a server with several
/// workers, it names that worker for each request under its prefix.
///
/// ```swift
/// extension GameServer: WorkerRoutedHandler {
///     func owningWorker(of head: HTTPRequestHead) -> Int? { WorkerIDs.owner(of: gameID(head.target)) }
/// }
/// ```
@LoopActor
public protocol WorkerRoutedHandler: HTTPHandler {
    /// The worker that must serve this request, `nil` for any.
    func owningWorker(of head: HTTPRequestHead) -> Int?
}
