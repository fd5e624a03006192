import ConformanceApp
import Flagon
import FlagonHTTP
import FlagonJSON
import FlagonLoop
import FlagonTesting
import Testing
@testable import FlagonSocketIO

/// Wire tests of the edges: malformed HTTP, doubled handshake headers, odd namespaces and
/// messages at and over `maxPayload`, against the conformance app on 127.0.0.1.
@Suite struct StrictEdgeTests {
    @LoopActor private func start(_ app: App = ConformanceApp.make()) throws -> (Server, Int) {
        return try Server.startOnLoopback(app)
    }

    /// An Engine.IO echo endpoint with a small `maxPayload` (the limit logic is the same at
    /// any size; small messages keep the shared loop responsive for the other tests).
    static let limit = 10_000

    @LoopActor private func startEcho() throws -> (Server, Int) {
        var options = EngineOptions()
        options.maxPayload = Self.limit
        let engine = EngineServer(options: options)
        engine.onConnection = { session in session.onMessage = { data in session.send(data) } }
        let app = App()
        app.mount("/engine.io", engine)
        return try start(app)
    }

    @Test @LoopActor func bareLineFeedsGet400AtOnce() async throws {
        let (server, port) = try start()
        let connection = try await RawConnection.open(port: port)
        connection.send("GET / HTTP/1.1\nHost: a\n\n")
        let response = try await connection.readResponse(timeout: 2000)
        #expect(response.status == 400)
        #expect(response.text == "Bad Request: bare LF in the request head (lines must end with CRLF)\n")
        #expect(await connection.waitForClose(timeout: 2000))
        await server.shutdown()
    }

    @Test @LoopActor func twoHostHeadersGet400() async throws {
        let (server, port) = try start()
        let connection = try await RawConnection.open(port: port)
        connection.send("GET /echo HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
        let response = try await connection.readResponse(timeout: 2000)
        #expect(response.status == 400)
        #expect(response.text.contains("more than one Host header"))
        #expect(!response.text.contains("malformed("))
        await server.shutdown()
    }

    @Test @LoopActor func twoWebSocketKeysGet400() async throws {
        let (server, port) = try start()
        for doubled in ["Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"] {
            for path in ["/echo", "/socket.io/?EIO=4&transport=websocket"] {
                let connection = try await RawConnection.open(port: port)
                connection.send("GET \(path) HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\(doubled)\r\n\r\n")
                let response = try await connection.readResponse(timeout: 2000)
                #expect(response.status == 400, "\(path) with \(doubled)")
                connection.close()
            }
        }
        await server.shutdown()
    }

    @Test @LoopActor func aValidRequestBeforeJunkIsAnsweredThen400() async throws {
        let (server, port) = try start()
        let connection = try await RawConnection.open(port: port)
        connection.send("GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: a\r\n\r\nJUNK\u{1} / HTTP/1.1\r\n\r\n")
        let first = try await connection.readResponse(timeout: 2000)
        #expect(first.status == 200)
        #expect(first.text.hasPrefix("0{\"sid\""))
        let second = try await connection.readResponse(timeout: 2000)
        #expect(second.status == 400)
        #expect(second.text == "Bad Request: invalid method\n")
        #expect(await connection.waitForClose(timeout: 2000))
        await server.shutdown()
    }

    @Test @LoopActor func namespaceMadeOfASlashAndACommaIsTheMainNamespace() async throws {
        let (server, port) = try start()
        let ws = try await WebSocketTestClient.connect(port: port, path: "/socket.io/?EIO=4&transport=websocket")
        #expect(await ws.waitForText { $0.hasPrefix("0{") } != nil)
        ws.send(text: "40/,")
        let reply = try #require(await ws.waitForText { $0.hasPrefix("40") })
        #expect(reply.hasPrefix("40{\"sid\":"))
        // A second CONNECT to a connected namespace is answered with the same sid.
        ws.send(text: "40")
        #expect(await ws.waitForText { $0.hasPrefix("40") } == reply)
        ws.close()
        await server.shutdown()
    }

    @Test @LoopActor func webSocketMessagesOverMaxPayloadClose1009NamingTheLimit() async throws {
        let (server, port) = try startEcho()
        let limit = Self.limit
        let atLimit = try await WebSocketTestClient.connect(port: port, path: "/engine.io/?EIO=4&transport=websocket")
        #expect(await atLimit.waitForText { $0.hasPrefix("0{") } != nil)
        let exact = "4" + String(repeating: "x", count: limit - 1)
        atLimit.send(text: exact)
        #expect(await atLimit.waitForText(timeout: 10_000) { $0.count == limit } == exact)
        atLimit.close()

        let over = try await WebSocketTestClient.connect(port: port, path: "/engine.io/?EIO=4&transport=websocket")
        #expect(await over.waitForText { $0.hasPrefix("0{") } != nil)
        over.send(text: "4" + String(repeating: "x", count: limit))
        #expect(await over.waitForClose(timeout: 10_000))
        #expect(over.closeCode == 1009)
        #expect(over.closeReason == "message larger than the limit of \(limit) bytes")
        await server.shutdown()
    }

    @Test @LoopActor func pollingBodiesOverMaxPayloadGet413WithTheLimit() async throws {
        let (server, port) = try startEcho()
        let limit = Self.limit
        let client = LiveTestClient(port: port)
        for (size, expected) in [(limit, 200), (limit + 1, 413)] {
            let open = try await client.get("/engine.io/?EIO=4&transport=polling")
            let sid = try #require(try JSONValue.parse(Array(open.body.dropFirst()))["sid"]?.stringValue)
            let body = Array(("4" + String(repeating: "y", count: size - 1)).utf8)
            let response = try await client.post("/engine.io/?EIO=4&transport=polling&sid=\(sid)", body: body)
            #expect(response.status == expected)
            if expected == 413 {
                #expect(try response.json() == ["code": 3, "message": "Payload too large", "maxPayload": .int(limit)])
                // The session is closed.
                #expect(try await client.get("/engine.io/?EIO=4&transport=polling&sid=\(sid)").status == 400)
            } else {
                let echoed = try await client.get("/engine.io/?EIO=4&transport=polling&sid=\(sid)")
                #expect(echoed.status == 200)
                #expect(Array(echoed.body.suffix(size + 1)) == [0x1e] + body || echoed.body == body)   // a ping may come first
            }
        }
        await server.shutdown()
    }

    @Test @LoopActor func engineIOParametersGivenTwiceGet400() async throws {
        let (server, port) = try start()
        let client = LiveTestClient(port: port)
        for query in ["EIO=4&EIO=4&transport=polling", "EIO=4&transport=polling&transport=polling",
                      "EIO=4&transport=polling&sid=a&sid=b", "EIO=4&transport=polling&sid="] {
            #expect(try await client.get("/socket.io/?\(query)").status == 400, "\(query)")
        }
        #expect(try await client.get("/socket.io/?EIO=4&transport=polling&t=1&t=2").status == 200)
        await server.shutdown()
    }

    @Test @LoopActor func theConformanceServerLimitsEventsOfTheMainNamespaceWithRateLimit() async throws {
        var settings = ConformanceApp.Settings()
        settings.rateLimit = 2
        // The contract's heartbeat (300 + 200 ms) would close this client, which sends no
        // pongs, if the suites running beside it slowed the exchange past half a second.
        settings.pingInterval = 60_000
        let (server, port) = try start(ConformanceApp.make(settings))
        let ws = try await WebSocketTestClient.connect(port: port, path: "/socket.io/?EIO=4&transport=websocket")
        #expect(await ws.waitForText { $0.hasPrefix("0{") } != nil)
        ws.send(text: "40")
        #expect(await ws.waitForText { $0.hasPrefix("40{") } != nil)
        ws.send(text: "40/custom,")
        #expect(await ws.waitForText { $0.hasPrefix("40/custom,{") } != nil)
        for id in 1...3 { ws.send(text: "42\(id)[\"message-with-ack\",\(id)]") }
        #expect(await ws.waitForText { $0 == "431[1]" } != nil)
        #expect(await ws.waitForText { $0 == "432[2]" } != nil)
        let refusal = #"{"error":"rate_limited","event":"message-with-ack","message":"Too many \"message-with-ack\" events: slow down"}"#
        #expect(await ws.waitForText { $0.hasPrefix("42[\"rate_limited\"") } == "42[\"rate_limited\",\(refusal)]")
        #expect(await ws.waitForText { $0.hasPrefix("433") } == "433[\(refusal)]")
        ws.close()
        await server.shutdown()
    }
}
