import Flagon
import FlagonJSON
import FlagonLoop
import FlagonSocketIO

/// The conformance server's application: a raw Engine.IO echo endpoint at `/engine.io/`,
/// the Socket.IO example app at `/socket.io/` (its namespaces are class-based controllers,
/// see ConformanceControllers.swift), and a WebSocket echo route at `/echo`.
public enum ConformanceApp {
    /// The engine settings both endpoints share.
    public static var engineOptions: EngineOptions {
        var options = EngineOptions()
        options.pingInterval = 300
        options.pingTimeout = 200
        options.maxPayload = 1_000_000
        options.cors = .any
        return options
    }

    /// Builds the app.
    @LoopActor
    public static func make() -> App {
        let app = App()
        app.websocket("/echo") { ws in
            ws.onMessage = { message in
                switch message {
                case .text(let text): ws.send(text: text)
                case .binary(let bytes): ws.send(binary: bytes)
                }
            }
        }
        let engine = EngineServer(options: engineOptions)
        engine.onConnection = { session in
            session.onMessage = { data in session.send(data) }
        }
        app.mount("/engine.io", engine)
        app.onShutdown { engine.closeAll() }

        var options = SocketIOOptions()
        options.engine = engineOptions
        options.connectTimeout = 1000
        let sio = SocketIOServer(options: options)
        sio.register(MainController.self, namespace: "/")
        sio.register(CustomController.self, namespace: "/custom")
        sio.register(ChatController.self, namespace: "/chat")
        sio.register(AdminController.self, namespace: "/admin")
        sio.register(ACLController.self, namespace: "/acl")
        sio.attach(to: app)
        return app
    }
}
