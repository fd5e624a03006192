import FlagonJSON
import FlagonLoop
import FlagonTesting
import Testing
@testable import Flagon

@LoopActor
private func sessionApp(_ middleware: SessionMiddleware) -> App {
    let app = App()
    app.use(middleware)
    app.get("/count") { request in
        let count = (request.session["count"]?.intValue ?? 0) + 1
        request.session["count"] = .int(count)
        return Response.text("\(count)")
    }
    app.post("/login") { request in
        request.session.regenerateID()
        request.session["user"] = .string(try request.form()["user"] ?? "")
        return Response.text("ok")
    }
    app.get("/whoami") { request in Response.text(request.session["user"]?.stringValue ?? "anonymous") }
    app.post("/logout") { request in
        request.session.clear()
        return Response.text("bye")
    }
    app.get("/peek") { request in Response.text(request.session.values.count == 0 ? "empty" : "full") }
    return app
}

@Suite struct SessionTests {
    static let key = Array("a long and random test key, 32+ bytes".utf8)

    @Test(arguments: TestMode.allCases)
    @LoopActor func cookieSessionCountsVisits(mode: TestMode) async throws {
        try await withTestClient(sessionApp(SessionMiddleware(secretKey: Self.key)), mode: mode) { (client: any HTTPTestClient) async throws in
            #expect(try await client.get("/count").text == "1")
            #expect(try await client.get("/count").text == "2")
            let third = try await client.get("/count")
            #expect(third.text == "3")
            let cookie = try #require(third.headers["set-cookie"])
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Lax"))
            #expect(cookie.contains("Path=/"))
            // Reading without changing sets no cookie.
            #expect(try await client.get("/peek").headers["set-cookie"] == nil)
        }
    }

    @Test @LoopActor func secureAndStrictOptionsAreApplied() async throws {
        var middleware = SessionMiddleware(secretKey: Self.key)
        middleware.secure = true
        middleware.sameSite = .strict
        middleware.httpOnly = false
        let client = TestClient(sessionApp(middleware))
        let cookie = try #require(try await client.get("/count").headers["set-cookie"])
        #expect(cookie.contains("; Secure"))
        #expect(cookie.contains("SameSite=Strict"))
        #expect(!cookie.contains("HttpOnly"))
    }

    @Test @LoopActor func tamperedCookiesGiveAnEmptySession() async throws {
        let client = TestClient(sessionApp(SessionMiddleware(secretKey: Self.key)))
        _ = try await client.get("/count")
        _ = try await client.get("/count")
        let good = try #require(client.jar.cookies["session"])
        var parts = good.split(separator: ".").map(String.init)
        // Claim a bigger count with the old signature.
        parts[0] = Base64Testing.encode(#"{"count":99}"#)
        client.jar.set("session", parts.joined(separator: "."))
        #expect(try await client.get("/count").text == "1")
        client.jar.set("session", "garbage")
        #expect(try await client.get("/count").text == "1")
        client.jar.set("session", "")
        #expect(try await client.get("/count").text == "1")
        // A cookie signed with another key is no better.
        let other = TestClient(sessionApp(SessionMiddleware(secretKey: Array("another key entirely".utf8))))
        _ = try await other.get("/count")
        client.jar.set("session", other.jar.cookies["session"])
        #expect(try await client.get("/count").text == "1")
    }

    @Test @LoopActor func issuedTimesNearTheIntegerLimitsGiveAnEmptySession() async throws {
        for issued in [Int.min, Int.min + 1, Int.max] {
            var middleware = SessionMiddleware(secretKey: Self.key)
            middleware.clock = { issued }
            let cookie = middleware.sign(Array(#"{"count":5}"#.utf8), purpose: "cookie")
            middleware.clock = { 1_000_000 }
            #expect(middleware.verify(cookie, purpose: "cookie") == nil)
            let client = TestClient(sessionApp(middleware))
            client.jar.set("session", cookie)
            #expect(try await client.get("/count").text == "1")
        }
    }

    @Test @LoopActor func expiredCookiesGiveAnEmptySession() async throws {
        var middleware = SessionMiddleware(secretKey: Self.key)
        middleware.maxAge = 60
        middleware.clock = { 1_000_000 }
        let issued = middleware.sign(Array(#"{"count":5}"#.utf8), purpose: "cookie")
        let client = TestClient(sessionApp(middleware))
        client.jar.set("session", issued)
        #expect(try await client.get("/count").text == "6")
        var later = middleware
        later.clock = { 1_000_000 + 61 }
        let lateClient = TestClient(sessionApp(later))
        lateClient.jar.set("session", issued)
        #expect(try await lateClient.get("/count").text == "1")
    }

    @Test(arguments: TestMode.allCases)
    @LoopActor func serverSideSessionsKeepValuesInTheStore(mode: TestMode) async throws {
        let store = MemorySessionStore()
        try await withTestClient(sessionApp(SessionMiddleware(secretKey: Self.key, backend: .server(store))), mode: mode) { (client: any HTTPTestClient) async throws in
            #expect(try await client.get("/whoami").text == "anonymous")
            #expect(store.count == 0)   // no session is created until something is stored
            _ = try await client.post("/login", form: [("user", "ada")])
            let firstID = try #require(client.jar.cookies["session"])
            #expect(!firstID.contains("ada"))
            #expect(store.count == 1)
            #expect(try await client.get("/whoami").text == "ada")
            _ = try await client.post("/login", form: [("user", "grace")])
            #expect(client.jar.cookies["session"] != firstID)   // a new id at login
            #expect(store.count == 1)
            #expect(try await client.get("/whoami").text == "grace")
            _ = try await client.post("/logout")
            #expect(store.count == 0)
            #expect(client.jar.cookies["session"] == nil)
            #expect(try await client.get("/whoami").text == "anonymous")
        }
    }

    @Test @LoopActor func unknownOrForgedSessionIDsGiveAnEmptySession() async throws {
        let store = MemorySessionStore()
        let middleware = SessionMiddleware(secretKey: Self.key, backend: .server(store))
        let client = TestClient(sessionApp(middleware))
        client.jar.set("session", middleware.sign(Array("made-up-id".utf8), purpose: "id"))
        #expect(try await client.get("/whoami").text == "anonymous")
        client.jar.set("session", "made-up-id")
        #expect(try await client.get("/whoami").text == "anonymous")
        // A signed cookie-session value is not a valid id cookie (different purpose).
        client.jar.set("session", middleware.sign(Array("x".utf8), purpose: "cookie"))
        #expect(try await client.get("/whoami").text == "anonymous")
    }

    @Test @LoopActor func memoryStoreExpiresAndCapsSessions() async throws {
        let clock = ManualClock()
        let store = MemorySessionStore(maxSessions: 2) { clock.now }
        try await store.save(id: "a", values: ["v": 1], lifetime: 10)
        try await store.save(id: "b", values: ["v": 2], lifetime: 20)
        try await store.save(id: "c", values: ["v": 3], lifetime: 30)
        #expect(store.count == 2)
        #expect(try await store.load(id: "a") == nil)   // the oldest-expiring went first
        clock.now = 25_000
        #expect(try await store.load(id: "b") == nil)
        #expect(try await store.load(id: "c") == ["v": 3])
    }
}

enum Base64Testing {
    static func encode(_ text: String) -> String {
        FlagonHTTPBase64.encode(Array(text.utf8), urlSafe: true)
    }
}

import FlagonHTTP
typealias FlagonHTTPBase64 = FlagonHTTP.Base64

@LoopActor
final class ManualClock {
    var now: UInt64 = 0
}
