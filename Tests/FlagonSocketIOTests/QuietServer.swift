import Flagon
import FlagonLoop
import FlagonTesting
@testable import FlagonSocketIO

/// A Socket.IO server on a loopback port whose heartbeat stays out of the way (one ping a
/// minute), configured by the test.
@LoopActor func startQuietServer(_ configure: (SocketIOServer) -> Void) throws -> (Server, Int, SocketIOServer) {
    let app = App()
    var options = SocketIOOptions()
    options.engine.pingInterval = 60_000
    let sio = SocketIOServer(options: options)
    configure(sio)
    sio.attach(to: app)
    let (server, port) = try Server.startOnLoopback(app)
    return (server, port, sio)
}

/// A raw WebSocket client connected to `namespace`, its CONNECT answered.
@LoopActor func connectedClient(_ port: Int, namespace: String = "/") async throws -> WebSocketTestClient {
    let ws = try await WebSocketTestClient.connect(port: port, path: "/socket.io/?EIO=4&transport=websocket")
    _ = await ws.waitForText { $0.hasPrefix("0{") }
    ws.send(text: namespace == "/" ? "40" : "40\(namespace),")
    _ = await ws.waitForText { $0.hasPrefix("40") }
    return ws
}
