import Flagon
import FlagonJSON
import FlagonLoop
import FlagonMacros
import FlagonSocketIO

/// The bench server contract (Socket.IO v5 on Engine.IO v4 at /socket.io, namespace "/"):
/// `echo` acks its arguments, `join` joins room "bench" and acks true, `fanout` emits its
/// payload to room "bench" and acks true. Namespace `/ctl` offers `echo` and `join` through
/// a controller class. `GET /plain` answers "Hello, World!".
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
        sio.register(BenchController.self, namespace: "/ctl")
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

/// `/ctl`: the bench events served by a controller instance per socket.
@SocketNamespace
final class BenchController: NamespaceController {
    func on_echo(_ args: RawArguments) -> RawArguments { args }

    func on_join() -> Bool {
        socket.join("bench")
        return true
    }
}
