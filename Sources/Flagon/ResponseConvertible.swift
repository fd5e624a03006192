import FlagonJSON

/// A value a handler may return: a ``Response``, a `String` (HTML, as in Flask), bytes
/// (`application/octet-stream`) or a ``JSONValue`` (`application/json`).
///
/// ```swift
/// app.get("/") { _ in "<h1>Hello</h1>" }
/// app.get("/data") { _ in JSONValue(["n": 1]) }
/// ```
public protocol ResponseConvertible: Sendable {
    /// The response for this value.
    func makeResponse() -> Response
}

extension Response: ResponseConvertible {
    public func makeResponse() -> Response { self }
}

extension String: ResponseConvertible {
    public func makeResponse() -> Response { .html(self) }
}

extension Array: ResponseConvertible where Element == UInt8 {
    public func makeResponse() -> Response {
        Response(headers: ["Content-Type": "application/octet-stream"], body: self)
    }
}

extension JSONValue: ResponseConvertible {
    public func makeResponse() -> Response { .json(self) }
}

extension JSONObject: ResponseConvertible {
    public func makeResponse() -> Response { .json(.object(self)) }
}
