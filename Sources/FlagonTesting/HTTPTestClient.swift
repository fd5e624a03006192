import Flagon
import FlagonHTTP
import FlagonJSON
import FlagonLoop

/// What both test clients offer, so one test body runs in-process and against a live
/// server (see ``TestClient`` and ``LiveTestClient``).
///
/// ```swift
/// @Test(arguments: TestMode.allCases)
/// func hello(mode: TestMode) async throws {
///     try await withTestClient(app, mode: mode) { client in
///         let response = try await client.get("/")
///         #expect(response.status == 200)
///     }
/// }
/// ```
@LoopActor
public protocol HTTPTestClient: AnyObject {
    /// The cookies the client keeps between requests.
    var jar: CookieJar { get }
    /// Sends one request and returns the whole response.
    func request(_ method: String, _ target: String, headers: HTTPHeaders, body: [UInt8]) async throws -> TestResponse
}

extension HTTPTestClient {
    /// Sends a `GET`.
    public func get(_ target: String, headers: HTTPHeaders = HTTPHeaders()) async throws -> TestResponse {
        try await request("GET", target, headers: headers, body: [])
    }

    /// Sends a `HEAD`.
    public func head(_ target: String, headers: HTTPHeaders = HTTPHeaders()) async throws -> TestResponse {
        try await request("HEAD", target, headers: headers, body: [])
    }

    /// Sends a `POST` with a raw body.
    public func post(_ target: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) async throws -> TestResponse {
        try await request("POST", target, headers: headers, body: body)
    }

    /// Sends a `POST` with a JSON body.
    public func post(_ target: String, json: JSONValue) async throws -> TestResponse {
        try await request("POST", target, headers: ["Content-Type": "application/json"], body: Array(json.jsonString.utf8))
    }

    /// Sends a `POST` with an urlencoded form.
    public func post(_ target: String, form: [(String, String)]) async throws -> TestResponse {
        let body = form.map { "\(FormEncoding.encode($0.0))=\(FormEncoding.encode($0.1))" }.joined(separator: "&")
        return try await request("POST", target, headers: ["Content-Type": "application/x-www-form-urlencoded"], body: Array(body.utf8))
    }
}

/// How a test reaches the app.
public enum TestMode: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Through the middleware stack, without sockets.
    case inProcess
    /// Over TCP to a server on 127.0.0.1 with an ephemeral port.
    case live

    public var description: String { rawValue }
}

/// Runs `body` with a client of the chosen mode; a live server is started on a free
/// loopback port and shut down afterwards.
@LoopActor
public func withTestClient<T>(
    _ app: App, mode: TestMode, options: ServerOptions = ServerOptions(),
    _ body: @LoopActor (any HTTPTestClient) async throws -> T
) async throws -> T {
    switch mode {
    case .inProcess:
        try app.build()
        return try await body(TestClient(app))
    case .live:
        var options = options
        options.host = "127.0.0.1"
        options.port = 0
        options.handleSignals = false
        let server = try Server(app: app, options: options)
        let port = try server.start()
        let client = LiveTestClient(port: port)
        do {
            let result = try await body(client)
            client.close()
            await server.shutdown()
            return result
        } catch {
            client.close()
            await server.shutdown()
            throw error
        }
    }
}

enum FormEncoding {
    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case 48...57, 65...90, 97...122, 45, 46, 95, 126: out.unicodeScalars.append(Unicode.Scalar(byte))
            case 32: out += "+"
            default: out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }
}
