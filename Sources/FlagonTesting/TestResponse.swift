import Flagon
import FlagonHTTP
import FlagonJSON

/// A response as a test sees it.
public struct TestResponse: Sendable {
    /// The status code.
    public let status: Int
    /// The header fields.
    public let headers: HTTPHeaders
    /// The body bytes.
    public let body: [UInt8]

    /// Creates a response record.
    public init(status: Int, headers: HTTPHeaders, body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as JSON.
    public func json() throws -> JSONValue { try JSONValue.parse(body) }
}

/// Errors of the test clients.
public enum TestClientError: Error, Sendable {
    /// No complete response arrived in time.
    case timeout
    /// The server closed the connection before a complete response.
    case connectionClosed([UInt8])
    /// The server's bytes are not an HTTP response.
    case malformedResponse(String)
    /// The server answered with another status than the one the client needs.
    case unexpectedStatus(Int)
}
