import Flagon
import FlagonHTTP
import FlagonLoop
import FlagonTesting
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A temporary folder with `public/hello.txt`, `public/page.html`, a symlink that escapes
/// to `secret.txt` beside `public/`, and a symlink that stays inside.
private func makeTree() -> String {
    var template = Array("/tmp/flagon-static-XXXXXX".utf8CString)
    let base = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    mkdir(base + "/public", 0o755)
    mkdir(base + "/public/sub", 0o755)
    write(base + "/public/hello.txt", "Hello, static world!")
    write(base + "/public/page.html", "<h1>page</h1>")
    write(base + "/public/sub/app.js", "console.log(1)")
    write(base + "/secret.txt", "top secret")
    symlink(base + "/secret.txt", base + "/public/escape.txt")
    symlink(base + "/public/hello.txt", base + "/public/inside.txt")
    return base
}

private func write(_ path: String, _ text: String) {
    let file = fopen(path, "w")!
    fputs(text, file)
    fclose(file)
}

@LoopActor
private func staticApp(_ base: String) -> App {
    let app = App()
    app.static("/static", directory: base + "/public")
    return app
}

@Suite struct StaticFilesTests {
    @Test(arguments: TestMode.allCases)
    @LoopActor func servesFilesWithTheirContentTypes(mode: TestMode) async throws {
        let base = makeTree()
        try await withTestClient(staticApp(base), mode: mode) { (client: any HTTPTestClient) async throws in
            let hello = try await client.get("/static/hello.txt")
            #expect(hello.status == 200)
            #expect(hello.text == "Hello, static world!")
            #expect(hello.headers["content-type"] == "text/plain; charset=utf-8")
            #expect(try await client.get("/static/page.html").headers["content-type"] == "text/html; charset=utf-8")
            #expect(try await client.get("/static/sub/app.js").headers["content-type"] == "text/javascript; charset=utf-8")
            #expect(try await client.get("/static/inside.txt").text == "Hello, static world!")
            #expect(try await client.get("/static/missing.txt").status == 404)
            #expect(try await client.get("/static/sub").status == 404)
        }
    }

    @Test(arguments: TestMode.allCases)
    @LoopActor func refusesToEscapeTheFolder(mode: TestMode) async throws {
        let base = makeTree()
        try await withTestClient(staticApp(base), mode: mode) { (client: any HTTPTestClient) async throws in
            #expect(try await client.get("/static/escape.txt").status == 404)
            #expect(try await client.get("/static/../secret.txt").status == 404)
            #expect(try await client.get("/static/sub/../../secret.txt").status == 404)
            #expect(try await client.get("/static/%2e%2e/secret.txt").status == 404)
            #expect(try await client.get("/static/..%2fsecret.txt").status == 404)
        }
    }

    @Test(arguments: TestMode.allCases)
    @LoopActor func conditionalRequestsGet304(mode: TestMode) async throws {
        let base = makeTree()
        try await withTestClient(staticApp(base), mode: mode) { (client: any HTTPTestClient) async throws in
            let first = try await client.get("/static/hello.txt")
            let etag = try #require(first.headers["etag"])
            let modified = try #require(first.headers["last-modified"])
            let cached = try await client.get("/static/hello.txt", headers: ["If-None-Match": etag])
            #expect(cached.status == 304)
            #expect(cached.body.isEmpty)
            #expect(try await client.get("/static/hello.txt", headers: ["If-None-Match": "W/" + etag]).status == 304)
            #expect(try await client.get("/static/hello.txt", headers: ["If-None-Match": "\"other\""]).status == 200)
            #expect(try await client.get("/static/hello.txt", headers: ["If-Modified-Since": modified]).status == 304)
            #expect(try await client.get("/static/hello.txt", headers: ["If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"]).status == 200)
        }
    }

    @Test(arguments: TestMode.allCases)
    @LoopActor func rangeRequests(mode: TestMode) async throws {
        let base = makeTree()
        try await withTestClient(staticApp(base), mode: mode) { (client: any HTTPTestClient) async throws in
            let part = try await client.get("/static/hello.txt", headers: ["Range": "bytes=0-4"])
            #expect(part.status == 206)
            #expect(part.text == "Hello")
            #expect(part.headers["content-range"] == "bytes 0-4/20")
            #expect(try await client.get("/static/hello.txt", headers: ["Range": "bytes=-6"]).text == "world!")
            #expect(try await client.get("/static/hello.txt", headers: ["Range": "bytes=14-"]).text == "world!")
            let unsatisfiable = try await client.get("/static/hello.txt", headers: ["Range": "bytes=50-60"])
            #expect(unsatisfiable.status == 416)
            #expect(unsatisfiable.headers["content-range"] == "bytes */20")
            #expect(try await client.get("/static/hello.txt", headers: ["Range": "bytes=0-1,3-4"]).status == 200)
        }
    }

    /// A file of several chunks is streamed with its length (live and in-process), ranges
    /// across chunk boundaries are exact, and the loop keeps serving meanwhile.
    @Test(arguments: TestMode.allCases)
    @LoopActor func largeFilesAreStreamedWithTheirLength(mode: TestMode) async throws {
        let base = makeTree()
        let size = StaticFiles.chunkSize * 3 + 1234
        let content = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        let file = fopen(base + "/public/big.bin", "w")!
        _ = content.withUnsafeBytes { fwrite($0.baseAddress, 1, size, file) }
        fclose(file)
        let app = staticApp(base)
        app.get("/ping") { _ in "pong" }
        try await withTestClient(app, mode: mode) { (client: any HTTPTestClient) async throws in
            let whole = try await client.get("/static/big.bin")
            #expect(whole.status == 200)
            #expect(whole.headers["content-length"] == String(size))
            #expect(whole.headers["transfer-encoding"] == nil)
            #expect(whole.body == content)
            let from = StaticFiles.chunkSize - 10
            let to = StaticFiles.chunkSize * 2 + 10
            let part = try await client.get("/static/big.bin", headers: ["Range": "bytes=\(from)-\(to)"])
            #expect(part.status == 206)
            #expect(part.headers["content-range"] == "bytes \(from)-\(to)/\(size)")
            #expect(part.body == Array(content[from...to]))
            #expect(try await client.get("/ping").text == "pong")   // the same connection, kept alive
        }
    }
}
