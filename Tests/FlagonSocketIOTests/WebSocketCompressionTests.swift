import ConformanceApp
import Flagon
import FlagonCompression
import FlagonHTTP
import FlagonJSON
import FlagonLoop
import FlagonTesting
import Testing
@testable import FlagonSocketIO

/// permessage-deflate on the wire: negotiation, compressed messages both ways, bombs,
/// corrupt data, and Socket.IO broadcasts compressed once for all their recipients.
@Suite struct WebSocketCompressionTests {
    @LoopActor private func start(_ app: App) throws -> (Server, Int) {
        return try Server.startOnLoopback(app)
    }

    @LoopActor private func echoApp(limit: Int = 1 << 20) -> App {
        let app = App()
        app.websocket("/echo", maxMessageBytes: limit, compression: WebSocketCompression()) { ws in
            ws.onMessage = { message in
                switch message {
                case .text(let text): ws.send(text: text)
                case .binary(let bytes): ws.send(binary: bytes)
                }
            }
        }
        return app
    }

    private static let offer: HTTPHeaders = ["Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits"]

    @Test @LoopActor func compressedMessagesGoBothWays() async throws {
        let (server, port) = try start(echoApp())
        let ws = try await WebSocketTestClient.connect(port: port, path: "/echo", headers: Self.offer)
        #expect(ws.handshake.headers["sec-websocket-extensions"] == "permessage-deflate; server_no_context_takeover; client_no_context_takeover")
        ws.send(opcode: 0x41, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00])   // "Hello", RFC 7692's example
        #expect(await ws.waitForText { $0 == "Hello" } != nil)
        #expect(ws.compressedMessages == 0)   // under the 1 KB threshold: sent as it is
        let long = String(repeating: "compress me, ", count: 200)
        ws.send(opcode: 0x41, try #require(Deflate.compressMessage(Array(long.utf8))))
        #expect(await ws.waitForText { $0 == long } != nil)
        #expect(ws.compressedMessages == 1)
        ws.close()
        // Without an offer: no extension, and RSV1 is a protocol error.
        let plain = try await WebSocketTestClient.connect(port: port, path: "/echo")
        #expect(plain.handshake.headers["sec-websocket-extensions"] == nil)
        plain.send(opcode: 0x41, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00])
        #expect(await plain.waitForClose())
        #expect(plain.closeCode == 1002)
        await server.shutdown()
    }

    @Test @LoopActor func bombsAndCorruptDataCloseOnlyTheirConnection() async throws {
        let (server, port) = try start(echoApp(limit: 10_000))
        let bystander = try await WebSocketTestClient.connect(port: port, path: "/echo", headers: Self.offer)
        // 1 KB that inflates to 1 MB, past the 10,000-byte limit: 1009.
        let bomb = try #require(Deflate.compressMessage([UInt8](repeating: 0x41, count: 1_000_000), level: 9))
        #expect(bomb.count < 2000)
        let bomber = try await WebSocketTestClient.connect(port: port, path: "/echo", headers: Self.offer)
        bomber.send(opcode: 0x41, bomb)
        #expect(await bomber.waitForClose())
        #expect(bomber.closeCode == 1009)
        let corrupt = try await WebSocketTestClient.connect(port: port, path: "/echo", headers: Self.offer)
        corrupt.send(opcode: 0x41, [0xff, 0xff, 0xff, 0xff, 0x00])
        #expect(await corrupt.waitForClose())
        #expect(corrupt.closeCode == 1007)
        let badText = try await WebSocketTestClient.connect(port: port, path: "/echo", headers: Self.offer)
        badText.send(opcode: 0x41, try #require(Deflate.compressMessage([0xff, 0xfe])))
        #expect(await badText.waitForClose())
        #expect(badText.closeCode == 1007)
        bystander.send(text: "still here")
        #expect(await bystander.waitForText { $0 == "still here" } != nil)
        bystander.close()
        await server.shutdown()
    }

    @Test @LoopActor func aBroadcastIsCompressedOnceForEveryRecipient() async throws {
        var options = SocketIOOptions()
        options.engine.perMessageDeflate = WebSocketCompression()
        options.engine.pingInterval = 60_000
        let sio = SocketIOServer(options: options)
        let app = App()
        sio.attach(to: app)
        let (server, port) = try start(app)
        var clients: [WebSocketTestClient] = []
        for index in 0..<3 {
            let ws = try await WebSocketTestClient.connect(port: port, path: "/socket.io/?EIO=4&transport=websocket",
                                                           headers: index < 2 ? Self.offer : [:])
            #expect(await ws.waitForText { $0.hasPrefix("0{") } != nil)
            ws.send(text: "40")
            #expect(await ws.waitForText { $0.hasPrefix("40") } != nil)
            clients.append(ws)
        }
        let big = String(repeating: "x", count: 5000)
        let encodings = OutboundMessage.encodings
        #expect(sio.emit("big", .string(big)) == 3)
        #expect(OutboundMessage.encodings == encodings + 1)
        for ws in clients { #expect(await ws.waitForText { $0 == "42[\"big\",\"\(big)\"]" } != nil) }
        #expect(clients.map(\.compressedMessages) == [1, 1, 0])   // the third did not offer it
        for ws in clients { ws.close() }
        await server.shutdown()
    }
}
