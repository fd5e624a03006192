import FlagonHTTP

/// An error that is an HTTP response: throw it from a handler to answer with `status`.
///
/// ```swift
/// app.get("/admin") { _ in throw HTTPError(403, "admins only") }
/// ```
public struct HTTPError: Error, Sendable, Equatable {
    /// The status code.
    public var status: Int
    /// A message for the client (plain text).
    public var message: String
    /// Extra headers, such as `Allow` on a 405.
    public var headers: HTTPHeaders

    /// Creates an error; the message defaults to the status's reason phrase.
    public init(_ status: Int, _ message: String? = nil, headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.message = message ?? HTTPStatus.reason(status)
        self.headers = headers
    }

    /// The response this error stands for.
    public var response: Response {
        var response = Response.text(message, status: status)
        for (name, value) in headers { response.headers.set(name, value) }
        return response
    }
}
