import Flagon
import FlagonCompression
import FlagonHTTP
import FlagonJSON
import FlagonLoop
import FlagonTesting
import Testing
@testable import FlagonSocketIO

/// gzip and deflate for HTTP routes (the Compression middleware) and long-polling
/// (EngineOptions.httpCompression): above the threshold, by Accept-Encoding, never for
/// already-compressed types, always with Vary.
@Suite struct HTTPCompressionTests {
    private static let big = String(repeating: "{\"user\":\"ann\",\"text\":\"hello\"}", count: 100)

    @LoopActor private func makeApp() -> App {
        let app = App()
        app.use(Compression())
        app.get("/big") { _ in Response.text(Self.big) }
        app.get("/small") { _ in Response.text("tiny") }
        app.get("/png") { _ in Response(status: 200, headers: ["Content-Type": "image/png"], body: Array(Self.big.utf8)) }
        return app
    }

    @Test @LoopActor func routesAreCompressedByAcceptEncoding() async throws {
        let client = TestClient(makeApp())
        let gzip = try await client.request("GET", "/big", headers: ["Accept-Encoding": "gzip, deflate"], body: [])
        #expect(gzip.headers["content-encoding"] == "gzip" && gzip.headers["vary"] == "Accept-Encoding")
        #expect(gzip.body.count < Self.big.utf8.count / 5)
        #expect(try Deflate.decompress(gzip.body, format: .gzip, limit: 1 << 20) == Array(Self.big.utf8))
        let deflate = try await client.request("GET", "/big", headers: ["Accept-Encoding": "gzip;q=0.1, deflate"], body: [])
        #expect(deflate.headers["content-encoding"] == "deflate")
        #expect(try Deflate.decompress(deflate.body, format: .zlib, limit: 1 << 20) == Array(Self.big.utf8))
        let plain = try await client.request("GET", "/big", headers: [:], body: [])
        #expect(plain.headers["content-encoding"] == nil && plain.text == Self.big && plain.headers["vary"] == "Accept-Encoding")
        let refused = try await client.request("GET", "/big", headers: ["Accept-Encoding": "gzip;q=0, deflate;q=0"], body: [])
        #expect(refused.headers["content-encoding"] == nil)
        let small = try await client.request("GET", "/small", headers: ["Accept-Encoding": "gzip"], body: [])
        #expect(small.headers["content-encoding"] == nil && small.text == "tiny")
        let png = try await client.request("GET", "/png", headers: ["Accept-Encoding": "gzip"], body: [])
        #expect(png.headers["content-encoding"] == nil && png.headers["vary"] == nil)
    }

    @Test @LoopActor func longPollingResponsesAboveTheThresholdAreCompressed() async throws {
        let sio = SocketIOServer()
        let app = App()
        sio.attach(to: app)
        let client = TestClient(app)
        let open = try await client.request("GET", "/socket.io/?EIO=4&transport=polling", headers: ["Accept-Encoding": "gzip"], body: [])
        #expect(open.headers["content-encoding"] == nil)   // the open packet is small
        let sid = try #require(try JSONValue.parse(Array(open.body.dropFirst()))["sid"]?.stringValue)
        _ = try await client.request("POST", "/socket.io/?EIO=4&transport=polling&sid=\(sid)", headers: [:], body: Array("40".utf8))
        _ = try await client.request("GET", "/socket.io/?EIO=4&transport=polling&sid=\(sid)", headers: ["Accept-Encoding": "gzip"], body: [])
        sio.emit("big", .string(Self.big))
        let poll = try await client.request("GET", "/socket.io/?EIO=4&transport=polling&sid=\(sid)", headers: ["Accept-Encoding": "gzip"], body: [])
        #expect(poll.headers["content-encoding"] == "gzip")
        let text = String(decoding: try Deflate.decompress(poll.body, format: .gzip, limit: 1 << 20), as: UTF8.self)
        #expect(text.hasPrefix("42[\"big\",\"{"))
    }
}
