import FlagonHTTP
import FlagonJSON
import FlagonLoop

/// An HTTP response: status, headers and a body that is either bytes or a stream.
///
/// ```swift
/// var response = Response.json(["ok": true], status: 201)
/// response.headers["X-Trace"] = "abc"
/// response.setCookie(Cookie(name: "seen", value: "1"))
/// ```
public struct Response: Sendable {
    /// What follows the head.
    public enum Body: Sendable {
        /// A body known in full.
        case bytes([UInt8])
        /// A body produced piece by piece, sent with chunked transfer coding.
        case stream(@LoopActor @Sendable (BodyWriter) async throws -> Void)
    }

    /// The status code.
    public var status: Int
    /// The header fields (framing and `Date` are added by the server).
    public var headers: HTTPHeaders
    /// The body.
    public var body: Body
    /// The length of a streamed body, when known beforehand: it is sent with
    /// `Content-Length` instead of chunked (and the connection stays open for the next request).
    public var streamLength: Int?
    /// After a `101 Switching Protocols`, takes over the TCP connection.
    public var upgrade: (@LoopActor @Sendable (UpgradedConnection) -> Void)?

    /// Creates a response with a body of bytes.
    public init(status: Int = 200, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = .bytes(body)
    }

    /// Creates a streamed response: `produce` writes the body in pieces.
    ///
    /// ```swift
    /// Response(status: 200, headers: ["Content-Type": "text/plain"]) { writer in
    ///     for i in 0..<3 { try await writer.write(Array("line \(i)\n".utf8)) }
    /// }
    /// ```
    public init(status: Int = 200, headers: HTTPHeaders = HTTPHeaders(),
                stream produce: @escaping @LoopActor @Sendable (BodyWriter) async throws -> Void) {
        self.status = status
        self.headers = headers
        self.body = .stream(produce)
    }

    /// Creates a streamed response of a known length (`produce` must write exactly `length` bytes).
    public init(status: Int = 200, headers: HTTPHeaders = HTTPHeaders(), length: Int,
                stream produce: @escaping @LoopActor @Sendable (BodyWriter) async throws -> Void) {
        self.init(status: status, headers: headers, stream: produce)
        streamLength = length
    }

    /// A `101 Switching Protocols` response whose `handler` takes over the connection.
    public static func switchingProtocols(headers: HTTPHeaders,
                                          handler: @escaping @LoopActor @Sendable (UpgradedConnection) -> Void) -> Response {
        var response = Response(status: 101, headers: headers)
        response.upgrade = handler
        return response
    }

    /// The body bytes, when the body is not streamed.
    public var bodyBytes: [UInt8] {
        if case .bytes(let bytes) = body { bytes } else { [] }
    }

    /// A plain-text response (`text/plain; charset=utf-8`).
    public static func text(_ text: String, status: Int = 200) -> Response {
        Response(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: Array(text.utf8))
    }

    /// An HTML response (`text/html; charset=utf-8`).
    public static func html(_ html: String, status: Int = 200) -> Response {
        Response(status: status, headers: ["Content-Type": "text/html; charset=utf-8"], body: Array(html.utf8))
    }

    /// A JSON response (`application/json`).
    public static func json(_ value: JSONValue, status: Int = 200) -> Response {
        Response(status: status, headers: ["Content-Type": "application/json"], body: Array(value.jsonString.utf8))
    }

    /// A redirect to `location` (302 by default; 301, 303, 307 and 308 also make sense).
    public static func redirect(to location: String, status: Int = 302) -> Response {
        var response = Response.text("Redirecting to \(location)", status: status)
        response.headers["Location"] = location
        return response
    }

    /// Adds a `Set-Cookie` header.
    public mutating func setCookie(_ cookie: Cookie) {
        headers.add("Set-Cookie", cookie.headerValue)
    }

    /// Adds a `Set-Cookie` header that deletes the cookie.
    public mutating func deleteCookie(_ name: String, path: String = "/") {
        var cookie = Cookie(name: name, value: "")
        cookie.path = path
        cookie.maxAge = 0
        cookie.expires = 0
        setCookie(cookie)
    }
}

/// Writes the pieces of a streamed response body; waits when the client reads slowly.
@LoopActor
public final class BodyWriter {
    private let send: ([UInt8]) -> Void
    private let waitUntilWritable: () async -> Bool

    init(send: @escaping ([UInt8]) -> Void, waitUntilWritable: @escaping () async -> Bool) {
        self.send = send
        self.waitUntilWritable = waitUntilWritable
    }

    /// Sends one piece. Throws ``HTTPError`` 499-style `connectionClosed` when the client is gone.
    public func write(_ bytes: [UInt8]) async throws {
        guard await waitUntilWritable() else { throw BodyWriterError.connectionClosed }
        send(bytes)
    }

    /// Runs a streamed body's producer and returns everything it wrote (test clients use it).
    public static func collect(_ produce: @LoopActor @Sendable (BodyWriter) async throws -> Void) async throws -> [UInt8] {
        var collected: [UInt8] = []
        let writer = BodyWriter(send: { collected.append(contentsOf: $0) }, waitUntilWritable: { true })
        try await produce(writer)
        return collected
    }

    /// Sends text as UTF-8.
    public func write(_ text: String) async throws {
        try await write(Array(text.utf8))
    }
}

/// Why a streamed body could not be written.
public enum BodyWriterError: Error, Sendable {
    /// The client closed the connection.
    case connectionClosed
}

/// A TCP connection handed over after `101 Switching Protocols`.
public struct UpgradedConnection: Sendable {
    /// The stream; its `onRead`, `onClose` and writes now belong to the new protocol.
    public let stream: TCPStream
    /// Bytes that arrived after the request head and belong to the new protocol.
    public let initialBytes: [UInt8]
    /// The request that asked for the upgrade.
    public let request: Request
}
