import DemoApp
import Flagon
import FlagonJSON
import FlagonLoop
import FlagonTesting
import Testing

@Suite struct DemoAppTests {
    @Test(arguments: TestMode.allCases)
    @LoopActor func theDemoServesItsPages(mode: TestMode) async throws {
        try await withTestClient(DemoApp.make(secretKey: Array("demo test key".utf8)), mode: mode) { (client: any HTTPTestClient) async throws in
            let home = try await client.get("/")
            #expect(home.status == 200)
            #expect(home.text.contains("<h1>Flagon</h1>"))
            #expect(home.text.contains("id=\"login-form\""))
            let login = try await client.post("/login", form: [("name", "ada")])
            #expect(login.status == 303)
            let chat = try await client.get("/")
            #expect(chat.text.contains("<strong id=\"user\">ada</strong>"))
            #expect(chat.text.contains("/static/vendor/socket.io.min.js"))
            #expect(try await client.get("/static/chat.js").status == 200)
            #expect(try await client.post("/login", form: [("name", "  ")]).status == 400)
            #expect(try await client.get("/hello/ada").text == "Hello, ada!")
            #expect(try await client.get("/users/42").json() == ["id": 42, "name": "user 42"])
            #expect(try await client.get("/users/x").status == 404)
            #expect(try await client.post("/api/echo", json: ["a": 1]).json() == ["received": ["a": 1]])
            #expect(try await client.get("/counter").json() == ["count": 1])
            #expect(try await client.get("/counter").json() == ["count": 2])
            #expect(try await client.post("/counter/reset").status == 303)
            #expect(try await client.get("/counter").json() == ["count": 1])
            let about = try await client.get("/static/about.html")
            #expect(about.status == 200)
            #expect(about.headers["content-type"] == "text/html; charset=utf-8")
        }
    }
}
