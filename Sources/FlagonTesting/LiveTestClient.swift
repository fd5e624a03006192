import Flagon
import FlagonHTTP
import FlagonLoop

/// Sends requests over TCP to a live server on 127.0.0.1, reusing one keep-alive
/// connection (and opening a new one when the server closed it).
@LoopActor
public final class LiveTestClient: HTTPTestClient {
    /// The server's port.
    public let port: Int
    public let jar = CookieJar()
    /// Time allowed for each response, in milliseconds.
    public var timeout: UInt64 = 10_000
    private var connection: RawConnection?

    /// Creates a client for the server on `port`.
    public init(port: Int) {
        self.port = port
    }

    public func request(_ method: String, _ target: String, headers: HTTPHeaders, body: [UInt8]) async throws -> TestResponse {
        var headers = headers
        if !headers.contains("host") { headers.add("Host", "127.0.0.1:\(port)") }
        if !body.isEmpty || method == "POST" || method == "PUT" || method == "PATCH" {
            headers.set("Content-Length", String(body.count))
        }
        jar.apply(to: &headers)
        if connection == nil || connection!.isClosed {
            connection = try await RawConnection.open(port: port)
        }
        let connection = connection!
        connection.sendRequest(method, target, headers: headers, body: body)
        let response = try await connection.readResponse(isHead: method == "HEAD", timeout: timeout)
        jar.store(from: response.headers)
        if response.headers.hasToken("close", in: "connection") {
            connection.close()
            self.connection = nil
        }
        return response
    }

    /// Closes the connection.
    public func close() {
        connection?.close()
        connection = nil
    }
}
