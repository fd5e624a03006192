import Flagon
import FlagonLoop
import FlagonTesting
import Testing
@testable import FlagonSocketIO

/// An idle WebSocket connection keeps only what it uses: no polling or upgrade state in
/// its session, no out-of-line state in its socket, and its handshake in one buffer shared
/// by the WebSocket and the session.
@Suite struct IdleFootprintTests {
    @Test @LoopActor func anIdleWebSocketConnectionAllocatesNoSideState() async throws {
        let app = App()
        var options = SocketIOOptions()
        options.engine.pingInterval = 40
        options.engine.pingTimeout = 5000   // a loaded test run may answer a ping late
        let sio = SocketIOServer(options: options)
        sio.on("hello") { (_: Socket, name: String) -> String in "hi \(name)" }
        sio.attach(to: app)
        let (server, port) = try Server.startOnLoopback(app)
        let ws = try await WebSocketTestClient.connect(port: port, path: "/socket.io/?EIO=4&transport=websocket&token=abc")
        _ = await ws.waitForText { $0.hasPrefix("0{") }
        ws.send(text: "40")
        _ = await ws.waitForText { $0.hasPrefix("40") }
        ws.send(text: #"421["hello","ada"]"#)
        #expect(await ws.waitForText { $0.hasPrefix("431") } == #"431["hi ada"]"#)
        // A few heartbeats go by, answered.
        for _ in 0..<3 {
            _ = await ws.waitForText { $0 == "2" }
            ws.send(text: "3")
        }
        let socket = try #require(sio.main.sockets.values.first)
        let session = socket.connection.engine
        #expect(!session.hasSideState && !socket.hasRareState)
        #expect(socket.handshake.query["token"] == "abc" && socket.handshake.headers["upgrade"] == "websocket")
        // The handshake is kept once: the WebSocket's and the session's are the same buffer.
        let webSocket = try #require(session.webSocket)
        #expect(webSocket.storedRequest.context === session.storedRequest.context)
        #expect(webSocket.request.rawQuery == session.request.rawQuery)
        ws.close()
        await server.shutdown()
    }

    @Test @LoopActor func aSocketWithAuthKeepsItOutOfLine() async throws {
        let app = App()
        let sio = SocketIOServer()
        sio.attach(to: app)
        let (server, port) = try Server.startOnLoopback(app)
        let ws = try await WebSocketTestClient.connect(port: port, path: "/socket.io/?EIO=4&transport=websocket")
        _ = await ws.waitForText { $0.hasPrefix("0{") }
        ws.send(text: #"40{"token":"t"}"#)
        _ = await ws.waitForText { $0.hasPrefix("40") }
        let socket = try #require(sio.main.sockets.values.first)
        #expect(socket.hasRareState && socket.auth == ["token": "t"])
        ws.close()
        await server.shutdown()
    }
}
