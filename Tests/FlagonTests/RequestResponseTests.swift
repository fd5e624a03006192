import Flagon
import FlagonHTTP
import FlagonJSON
import FlagonLoop
import FlagonTesting
import Testing

@LoopActor
private func echoApp() -> App {
    let app = App()
    app.get("/query") { request in
        JSONValue(["q": .string(request.query["q"] ?? ""), "tags": .array(request.query.all("tag").map { .string($0) })])
    }
    app.get("/cookies") { request in JSONValue(JSONObject(request.cookies.sorted { $0.key < $1.key }.map { (key: $0.key, value: .string($0.value)) })) }
    app.post("/json") { request in JSONValue(["got": try request.json()]) }
    app.post("/form") { request in
        let form = try request.form()
        return JSONValue(["name": .string(form["name"] ?? ""), "note": .string(form["note"] ?? "")])
    }
    app.get("/remote") { request in Response.text(request.remoteAddress ?? "none") }
    app.get("/bytes") { _ in [UInt8]([0, 1, 2, 255]) }
    app.get("/html") { _ in "<p>hi</p>" }
    app.get("/redirect") { _ in Response.redirect(to: "/html") }
    app.get("/set-cookie") { _ in
        var response = Response.text("ok")
        var cookie = Cookie(name: "pref", value: "dark")
        cookie.maxAge = 60
        cookie.domain = "example.com"
        cookie.secure = true
        cookie.httpOnly = true
        cookie.sameSite = .strict
        cookie.partitioned = true
        cookie.expires = 784111777
        response.setCookie(cookie)
        response.setCookie(Cookie(name: "plain", value: "1"))
        return response
    }
    app.get("/stream") { _ in
        Response(status: 200, headers: ["Content-Type": "text/plain"]) { writer in
            for i in 0..<3 {
                try await writer.write("line \(i)\n")
                await LoopTimer.sleep(milliseconds: 1)
            }
        }
    }
    return app
}

@Suite struct RequestResponseTests {
    @Test(arguments: TestMode.allCases)
    @LoopActor func queryParametersAreDecoded(mode: TestMode) async throws {
        try await withTestClient(echoApp(), mode: mode) { (client: any HTTPTestClient) async throws in
            let json = try await client.get("/query?q=hello+world%21&tag=a&tag=b").json()
            #expect(json == ["q": "hello world!", "tags": ["a", "b"]])
        }
    }

    @Test(arguments: TestMode.allCases)
    @LoopActor func cookiesAreParsed(mode: TestMode) async throws {
        try await withTestClient(echoApp(), mode: mode) { (client: any HTTPTestClient) async throws in
            let json = try await client.get("/cookies", headers: ["Cookie": "a=1; b=\"two\"; a=3"]).json()
            #expect(json == ["a": "1", "b": "two"])
        }
    }

    @Test(arguments: TestMode.allCases)
    @LoopActor func jsonAndFormBodies(mode: TestMode) async throws {
        try await withTestClient(echoApp(), mode: mode) { (client: any HTTPTestClient) async throws in
            #expect(try await client.post("/json", json: ["a": [1, 2.5, "x"]]).json() == ["got": ["a": [1, 2.5, "x"]]])
            let bad = try await client.post("/json", headers: ["Content-Type": "application/json"], body: Array("{oops".utf8))
            #expect(bad.status == 400)
            let form = try await client.post("/form", form: [("name", "Zoë & co"), ("note", "a=b")])
            #expect(try form.json() == ["name": "Zoë & co", "note": "a=b"])
            #expect(try await client.post("/form", body: Array("name=x".utf8)).status == 415)
        }
    }

    @Test(arguments: TestMode.allCases)
    @LoopActor func returnTypesAndHelpers(mode: TestMode) async throws {
        try await withTestClient(echoApp(), mode: mode) { (client: any HTTPTestClient) async throws in
            let bytes = try await client.get("/bytes")
            #expect(bytes.body == [0, 1, 2, 255])
            #expect(bytes.headers["content-type"] == "application/octet-stream")
            let html = try await client.get("/html")
            #expect(html.headers["content-type"] == "text/html; charset=utf-8")
            let redirect = try await client.get("/redirect")
            #expect(redirect.status == 302)
            #expect(redirect.headers["location"] == "/html")
            let stream = try await client.get("/stream")
            #expect(stream.text == "line 0\nline 1\nline 2\n")
        }
    }

    @Test(arguments: TestMode.allCases)
    @LoopActor func setCookieCarriesEveryAttribute(mode: TestMode) async throws {
        try await withTestClient(echoApp(), mode: mode) { (client: any HTTPTestClient) async throws in
            let response = try await client.get("/set-cookie")
            #expect(response.headers.values(for: "set-cookie") == [
                "pref=dark; Expires=Sun, 06 Nov 1994 08:49:37 GMT; Max-Age=60; Domain=example.com; Path=/; Secure; HttpOnly; SameSite=Strict; Partitioned",
                "plain=1; Path=/",
            ])
        }
    }

    @Test @LoopActor func remoteAddressIsTheClients() async throws {
        try await withTestClient(echoApp(), mode: .live) { (client: any HTTPTestClient) async throws in
            #expect(try await client.get("/remote").text.hasPrefix("127.0.0.1:"))
        }
    }

    @Test @LoopActor func streamedResponsesUseChunkedEncodingOnTheWire() async throws {
        let server = try Server(app: echoApp(), options: liveOptions())
        let port = try server.start()
        let connection = try await RawConnection.open(port: port)
        connection.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try await connection.readResponse()
        #expect(response.headers["transfer-encoding"] == "chunked")
        #expect(response.text == "line 0\nline 1\nline 2\n")
        connection.close()
        await server.shutdown()
    }
}

/// Options for a live server in tests: loopback, ephemeral port, no signal handling.
func liveOptions(_ configure: (inout ServerOptions) -> Void = { _ in }) -> ServerOptions {
    var options = ServerOptions()
    options.host = "127.0.0.1"
    options.port = 0
    options.handleSignals = false
    configure(&options)
    return options
}
