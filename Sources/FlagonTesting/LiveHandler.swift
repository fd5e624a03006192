import Flagon
import FlagonHTTP

/// An ``HTTPHandler`` that forwards each request over a new TCP connection to a live
/// server: give it to ``SocketIOTestClient`` to drive a real server through real sockets.
///
/// ```swift
/// let client = try await SocketIOTestClient.connect(to: LiveHandler(port: port))
/// ```
public struct LiveHandler: HTTPHandler {
    /// The server's port on 127.0.0.1.
    public let port: Int
    /// Time allowed for each response, in milliseconds.
    public var timeout: UInt64 = 30_000

    /// Creates a handler for the server on `port`.
    public init(port: Int) {
        self.port = port
    }

    public func respond(to request: Request) async throws -> Response {
        let connection = try await RawConnection.open(port: port)
        defer { connection.close() }
        var headers = request.headers
        headers.set("Host", "127.0.0.1:\(port)")
        headers.set("Content-Length", String(request.body.count))
        headers.set("Connection", "close")
        let target = request.fullPath + (request.rawQuery.isEmpty ? "" : "?" + request.rawQuery)
        connection.sendRequest(request.method, target, headers: headers, body: request.body)
        let response = try await connection.readResponse(isHead: request.method == "HEAD", timeout: timeout)
        var result = Response(status: response.status, body: response.body)
        for (name, value) in response.headers where !["content-length", "date", "connection"].contains(name.lowercased()) {
            result.headers.add(name, value)
        }
        return result
    }
}
