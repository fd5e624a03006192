import Flagon
import FlagonHTTP
import FlagonLoop

/// Sends requests straight into an app, through its whole middleware stack, without
/// sockets (Flask's `app.test_client()`).
///
/// ```swift
/// let client = TestClient(app)
/// let response = try await client.get("/users/7")
/// #expect(try response.json()["id"] == 7)
/// ```
@LoopActor
public final class TestClient: HTTPTestClient {
    /// The app under test.
    public let app: App
    public let jar = CookieJar()

    /// Creates a client for `app`.
    public init(_ app: App) {
        self.app = app
    }

    public func request(_ method: String, _ target: String, headers: HTTPHeaders, body: [UInt8]) async throws -> TestResponse {
        var headers = headers
        if !headers.contains("host") { headers.add("Host", "localhost") }
        jar.apply(to: &headers)
        let request = Request(method: method, target: target, headers: headers, body: body, remoteAddress: "127.0.0.1:0")
        let response = try await app.respond(to: request)
        jar.store(from: response.headers)
        var bytes: [UInt8]
        switch response.body {
        case .bytes(let data): bytes = data
        case .stream(let produce): bytes = try await BodyWriter.collect(produce)
        }
        var responseHeaders = response.headers
        if !HTTPStatus.forbidsBody(response.status), case .bytes = response.body {
            responseHeaders.set("Content-Length", String(bytes.count))
        } else if let length = response.streamLength {
            responseHeaders.set("Content-Length", String(length))   // as the server frames it
        }
        if method == "HEAD" { bytes = [] }
        return TestResponse(status: response.status, headers: responseHeaders, body: bytes)
    }
}
