/// The request line and header fields of a request, with its framing decided.
public struct HTTPRequestHead: Sendable, Equatable {
    /// The method, such as `GET`.
    public var method: String
    /// The request target as sent: path and query (`/a/b?x=1`).
    public var target: String
    /// The minor version: 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var minorVersion: Int
    /// The header fields.
    public var headers: HTTPHeaders
    /// Whether the connection stays open after this exchange.
    public var keepAlive: Bool
    /// Whether the client sent `Expect: 100-continue`.
    public var expectsContinue: Bool

    /// Creates a head; `keepAlive` and `expectsContinue` are derived by the parser.
    public init(method: String, target: String, minorVersion: Int = 1, headers: HTTPHeaders = HTTPHeaders(),
                keepAlive: Bool = true, expectsContinue: Bool = false) {
        self.method = method
        self.target = target
        self.minorVersion = minorVersion
        self.headers = headers
        self.keepAlive = keepAlive
        self.expectsContinue = expectsContinue
    }
}

/// A complete request: its head and its (de-chunked) body.
public struct HTTPRequestMessage: Sendable, Equatable {
    /// Request line and headers.
    public var head: HTTPRequestHead
    /// The body bytes.
    public var body: [UInt8]

    /// Creates a message.
    public init(head: HTTPRequestHead, body: [UInt8] = []) {
        self.head = head
        self.body = body
    }
}
