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
