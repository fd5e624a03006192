import Flagon
import FlagonJSON
import FlagonLoop
import FlagonMacros
import FlagonRedisAdapter
import FlagonSocketIO

/// The bench server contract (Socket.IO v5 on Engine.IO v4 at /socket.io, namespace "/"):
/// `echo` acks its arguments, `join` joins room "bench" and acks true, `fanout` emits its
/// payload to room "bench" and acks true. Namespace `/ctl` offers `echo` and `join` through
/// a controller class. `GET /plain` answers "Hello, World!". With `--recovery`, connection
/// state recovery is on (in memory, or in Redis with `--redis`).
enum BenchServer {
    @LoopActor
    static func makeApp(adapter: (@LoopActor (Namespace) -> any SocketIOAdapter)? = nil, recovery: Bool = false,
                        stateStore: (any ConnectionStateStore)? = nil, deflate: Bool = false) -> App {
        let app = App()
        app.get("/plain") { _ in Response.text("Hello, World!") }
        var options = SocketIOOptions()
        options.engine.cors = .any
        options.engine.maxBufferedPackets = 100_000
        options.engine.maxBufferedBytes = 64 * 1024 * 1024
        if recovery { options.connectionStateRecovery = ConnectionStateRecovery() }
        if deflate { options.engine.perMessageDeflate = WebSocketCompression() }
        let sio = SocketIOServer(options: options, adapter: adapter, stateStore: stateStore)
        // The arguments go back as the bytes they came in (RawArguments: validated, never parsed).
        sio.on("echo") { (_: Socket, args: RawArguments) -> RawArguments in args }
        sio.on("join") { socket, _ in
            socket.join("bench")
            return [true]
        }
        let main = sio.main
        sio.on("fanout") { _, args in
            main.to("bench").emit("fanout", arguments: args)
            return [true]
        }
        // Real work per event: SHA-1 of 64 KB (the CPU-bound scenario, for workers).
        let block = [UInt8](repeating: 0x5A, count: 64 * 1024)
        sio.on("hash") { _, _ in [.string(Crypto.sha1(block).prefix(4).map { String($0, radix: 16) }.joined())] }
        sio.register(BenchController.self, namespace: "/ctl")
        // A typed parameter, read from the event's text, and a typed ack; the raw echo on a
        // namespace of the same length (`/plain`), for the comparison.
        sio.of("/plain").on("echo") { (_: Socket, args: RawArguments) -> RawArguments in args }
        sio.of("/typed").on("echo") { (_: Socket, message: EchoMessage) -> EchoMessage in message }
        sio.of("/codable").on("echo") { (_: Socket, message: CodableEchoMessage) -> CodableEchoMessage in message }
        sio.attach(to: app)
        return app
    }

    /// Serves until SIGINT or SIGTERM; with `redisURL`, as a member of that cluster.
    @LoopActor
    static func serve(port: Int, redisURL: String? = nil, routing: RedisRouting = .targeted, recovery: Bool = false,
                      metrics: Bool = false, deflate: Bool = false, workers: Int = 1, tls: TLSOptions? = nil,
                      redisSharded: RedisShardedMode? = nil, redisCAFile: String? = nil) async throws {
        ResourceLimits.raiseOpenFiles()
        try await WorkerSupervisor.superviseIfPrimary(.count(workers), host: "127.0.0.1", port: port)
        var cluster: RedisCluster?
        if let redisURL {
            var clusterOptions = RedisAdapterOptions(url: redisURL)
            clusterOptions.routing = routing
            clusterOptions.sharded = redisSharded
            clusterOptions.tls.caFile = redisCAFile
            clusterOptions.maxPendingBytes = 256 << 20
            cluster = try await RedisCluster.connect(clusterOptions)
        }
        var options = ServerOptions()
        options.port = port
        options.maxConnections = 100_000
        options.keepAliveTimeout = 60_000
        options.tls = tls
        let store = recovery ? cluster.map { RedisConnectionStateStore(cluster: $0, settings: ConnectionStateRecovery()) } : nil
        let app = makeApp(adapter: cluster?.makeAdapter, recovery: recovery, stateStore: store, deflate: deflate)
        if metrics { app.serveMetrics() }
        let server = try Server(app: app, options: options)
        try await server.run()
    }
}

/// The echo's argument as a typed parameter (`/typed`), read and written by `@EventPayload`.
@EventPayload
struct EchoMessage {
    let n: Int
    let s: String
}

/// The same argument as a plain `Codable` type (`/codable`), read and written through
/// `Decodable` and `Encodable`.
struct CodableEchoMessage: Codable, EventArgument, JSONConvertible {
    let n: Int
    let s: String
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
