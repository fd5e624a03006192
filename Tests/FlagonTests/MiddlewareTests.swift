import Flagon
import FlagonJSON
import FlagonLoop
import FlagonTesting
import Testing

private struct Teapot: Error {}
private struct Validation: Error { let reason: String }

private struct Tagging: Middleware {
    let tag: String
    func respond(to request: Request, next: any HTTPHandler) async throws -> Response {
        var request = request
        request.headers.add("X-Trail", tag)
        var response = try await next.respond(to: request)
        response.headers.add("X-Trail", tag)
        return response
    }
}

@LoopActor
private func layeredApp() -> App {
    let sub = App()
    sub.get("/") { request in Response.text("sub root, script=\(request.scriptName)") }
    sub.get("/info/<int:n>") { request in Response.text("sub \(request.path) \(request.parameters.int("n")!) script=\(request.scriptName)") }

    let app = App()
    app.use(Tagging(tag: "outer"))
    app.use(Tagging(tag: "inner"))
    app.use { request, next in
        if request.headers["x-block"] != nil { return .text("blocked", status: 403) }
        return try await next.respond(to: request)
    }
    app.get("/trail") { request in Response.text(request.headers.values(for: "x-trail").joined(separator: ",")) }
    app.get("/teapot") { _ -> Response in throw Teapot() }
    app.get("/invalid") { _ -> Response in throw Validation(reason: "bad name") }
    app.get("/forbidden") { _ -> Response in throw HTTPError(403, "go away") }
    app.get("/crash") { _ -> Response in throw CancellationError() }
    app.errorHandler(for: Validation.self) { _, error in .text("invalid: \(error.reason)", status: 422) }
    app.errorHandler(for: Teapot.self) { _, _ in .text("short and stout", status: 418) }
    app.errorHandler(404) { request, _ in .html("<h1>no \(request.path)</h1>", status: 404) }
    app.mount("/sub", sub)
    return app
}

@Suite struct MiddlewareTests {
    @Test(arguments: TestMode.allCases)
    @LoopActor func middlewareWrapsInOrderAndSeesRequestAndResponse(mode: TestMode) async throws {
        try await withTestClient(layeredApp(), mode: mode) { (client: any HTTPTestClient) async throws in
            let response = try await client.get("/trail")
            #expect(response.text == "outer,inner")
            #expect(response.headers.values(for: "x-trail") == ["inner", "outer"])
        }
    }

    @Test(arguments: TestMode.allCases)
    @LoopActor func middlewareCanShortCircuit(mode: TestMode) async throws {
        try await withTestClient(layeredApp(), mode: mode) { (client: any HTTPTestClient) async throws in
            let response = try await client.get("/trail", headers: ["X-Block": "1"])
            #expect(response.status == 403)
            #expect(response.text == "blocked")
            #expect(response.headers.values(for: "x-trail") == ["inner", "outer"])
        }
    }

    @Test(arguments: TestMode.allCases)
    @LoopActor func mountedAppsSeeTheRestOfThePath(mode: TestMode) async throws {
        try await withTestClient(layeredApp(), mode: mode) { (client: any HTTPTestClient) async throws in
            #expect(try await client.get("/sub").text == "sub root, script=/sub")
            #expect(try await client.get("/sub/info/5").text == "sub /info/5 5 script=/sub")
            // Mounted apps are outside the parent's middleware, as with DispatcherMiddleware.
            #expect(try await client.get("/sub/info/5").headers["x-trail"] == nil)
            #expect(try await client.get("/subway").status == 404)
        }
    }

    @Test(arguments: TestMode.allCases)
    @LoopActor func errorHandlersByTypeAndStatus(mode: TestMode) async throws {
        try await withTestClient(layeredApp(), mode: mode) { (client: any HTTPTestClient) async throws in
            let teapot = try await client.get("/teapot")
            #expect(teapot.status == 418)
            let invalid = try await client.get("/invalid")
            #expect(invalid.status == 422)
            #expect(invalid.text == "invalid: bad name")
            let missing = try await client.get("/missing")
            #expect(missing.status == 404)
            #expect(missing.text == "<h1>no /missing</h1>")
            let forbidden = try await client.get("/forbidden")
            #expect(forbidden.status == 403)
            #expect(forbidden.text == "go away")
            // Error responses still pass back through the middleware.
            #expect(forbidden.headers.values(for: "x-trail") == ["inner", "outer"])
        }
    }

    @Test(arguments: TestMode.allCases)
    @LoopActor func uncaughtErrorsBecome500(mode: TestMode) async throws {
        try await withTestClient(layeredApp(), mode: mode) { (client: any HTTPTestClient) async throws in
            let response = try await client.get("/crash")
            #expect(response.status == 500)
            #expect(response.text == "Internal Server Error")
            // The server goes on serving.
            #expect(try await client.get("/trail").status == 200)
        }
    }
}
