import Flagon
import FlagonJSON
import FlagonLoop
import FlagonTesting
import Testing

@LoopActor
private func routedApp() -> App {
    let app = App()
    app.get("/") { _ in "home" }
    app.get("/users/<int:id>") { request in JSONValue(["id": .int(try request.parameters.require("id", as: Int.self))]) }
    app.get("/users/<name>") { request in Response.text("name \(try request.parameters.require("name"))") }
    app.get("/wrong/<name>") { request in Response.text("\(try request.parameters.require("name", as: Int.self))") }
    app.get("/typo/<name>") { request in Response.text(try request.parameters.require("nmae")) }
    app.get("/files/<path:rest>") { request in Response.text(request.parameters["rest"]!) }
    app.get("/items/<uuid:id>") { request in Response.text(request.parameters.uuid("id")!) }
    app.get("/price/<float:value>") { request in Response.text("\(request.parameters.double("value")!)") }
    app.route("/things", methods: ["GET", "POST"]) { request in Response.text(request.method) }
    app.delete("/things/<int:id>") { _ in Response(status: 204) }
    app.put("/things/<int:id>") { request in Response.text("put \(try request.parameters.require("id", as: Int.self))") }
    return app
}

@Suite struct RoutingTests {
    @Test(arguments: TestMode.allCases)
    @LoopActor func typedPathParameters(mode: TestMode) async throws {
        try await withTestClient(routedApp(), mode: mode) { (client: any HTTPTestClient) async throws in
            #expect(try await client.get("/").text == "home")
            #expect(try await client.get("/users/42").json() == ["id": 42])
            #expect(try await client.get("/users/bob").text == "name bob")
            #expect(try await client.get("/files/a/b/c.txt").text == "a/b/c.txt")
            #expect(try await client.get("/items/0E9B8A2C-1111-4F6A-9A9A-ABCDEFABCDEF").text == "0e9b8a2c-1111-4f6a-9a9a-abcdefabcdef")
            #expect(try await client.get("/items/not-a-uuid").status == 404)
            #expect(try await client.get("/price/2.5").text == "2.5")
            #expect(try await client.get("/price/2").status == 404)
            #expect(try await client.get("/users/%62ob").text == "name bob")   // percent-decoded
            #expect(try await client.get("/wrong/x").status == 404)             // require(as:) that cannot convert
            let typo = try await client.get("/typo/x")
            #expect(typo.status == 500)
        }
    }

    @Test(arguments: TestMode.allCases)
    @LoopActor func notFoundAndMethodNotAllowedWithAllow(mode: TestMode) async throws {
        try await withTestClient(routedApp(), mode: mode) { (client: any HTTPTestClient) async throws in
            #expect(try await client.get("/nope").status == 404)
            let response = try await client.request("PATCH", "/things", headers: [:], body: [])
            #expect(response.status == 405)
            #expect(response.headers["allow"] == "GET, HEAD, OPTIONS, POST")
            let put = try await client.post("/things/3")
            #expect(put.status == 405)
            #expect(put.headers["allow"] == "DELETE, OPTIONS, PUT")
        }
    }

    @Test(arguments: TestMode.allCases)
    @LoopActor func automaticHeadAndOptions(mode: TestMode) async throws {
        try await withTestClient(routedApp(), mode: mode) { (client: any HTTPTestClient) async throws in
            let head = try await client.head("/users/7")
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
            #expect(head.headers["content-length"] == "8")
            let options = try await client.request("OPTIONS", "/things", headers: [:], body: [])
            #expect(options.status == 204)
            #expect(options.headers["allow"] == "GET, HEAD, OPTIONS, POST")
            #expect(try await client.request("DELETE", "/things/9", headers: [:], body: []).status == 204)
        }
    }

    @Test @LoopActor func duplicateRoutesFailWhenTheAppIsBuilt() {
        let app = App()
        app.get("/users/<int:id>") { _ in "a" }
        app.get("/users/<int:other>") { _ in "b" }
        #expect(throws: AppBuildError.duplicateRoute(method: "GET", pattern: "/users/<int:other>")) { try app.build() }
        #expect(throws: AppBuildError.self) { _ = try Server(app: app) }
    }

    @Test @LoopActor func sameShapeWithOtherMethodsIsNoDuplicate() throws {
        let app = App()
        app.get("/x/<int:id>") { _ in "a" }
        app.post("/x/<int:id>") { _ in "b" }
        app.get("/x/<id>") { _ in "c" }
        try app.build()
    }

    @Test @LoopActor func invalidPatternsFailWhenTheAppIsBuilt() {
        for pattern in ["no-slash", "/a/<bad:id>", "/a/<path:p>/b", "/a/x<id>", "/a/<>"] {
            let app = App()
            app.get(pattern) { _ in "x" }
            #expect(throws: AppBuildError.self, "\(pattern)") { try app.build() }
        }
    }
}
