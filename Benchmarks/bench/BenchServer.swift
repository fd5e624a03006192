import Flagon
import FlagonJSON
import FlagonLoop
import FlagonSocketIO

/// The bench server contract (Socket.IO v5 on Engine.IO v4 at /socket.io, namespace "/"):
/// `echo` acks its arguments, `join` joins room "bench" and acks true, `fanout` emits its
/// payload to room "bench" and acks true. `GET /plain` answers "Hello, World!".
enum BenchServer {
    @LoopActor
    static func makeApp() -> App {
        let app = App()
        app.get("/plain") { _ in Response.text("Hello, World!") }
        var options = SocketIOOptions()
        options.engine.cors = .any
        options.engine.maxBufferedPackets = 100_000
        options.engine.maxBufferedBytes = 64 * 1024 * 1024
        let sio = SocketIOServer(options: options)
        sio.on("echo") { _, args in args }
        sio.on("join") { socket, _ in
            socket.join("bench")
            return [true]
        }
        let main = sio.main
        sio.on("fanout") { _, args in
            main.to("bench").emit("fanout", arguments: args)
            return [true]
        }
        sio.attach(to: app)
        return app
    }

    /// Serves until SIGINT or SIGTERM.
    @LoopActor
    static func serve(port: Int) async throws {
        ResourceLimits.raiseOpenFiles()
        var options = ServerOptions()
        options.port = port
        options.maxConnections = 100_000
        options.keepAliveTimeout = 60_000
        let server = try Server(app: makeApp(), options: options)
        try await server.run()
    }
}
