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
        options.perMessageDeflate = WebSocketCompression()   // for clients that offer it (browsers)
        return options
    }

    /// What the environment switches on (sections 11 and 12 of the contract).
    public struct Settings: Sendable {
        /// `RATE_LIMIT`: events per second (and burst) for each socket of `/`.
        public var rateLimit: Double?
        /// `DRAIN_MS`: the drain window of a graceful shutdown.
        public var drainMilliseconds: UInt64 = 10_000
        /// `PING_INTERVAL` / `PING_TIMEOUT`: other heartbeat settings than the contract's
        /// 300/200 ms (for load tests whose clients cannot answer that fast).
        public var pingInterval: UInt64?
        public var pingTimeout: UInt64?
        /// `PARSER=msgpack`: the msgpack parser on `/socket.io/` (section 10).
        public var parser = SocketIOParser.json
        /// `RECOVERY_MS`: connection state recovery with this window (section 9).
        public var recoveryMilliseconds: UInt64?
        /// `SERVER_ID`: this process's name in cluster mode (section 8).
        /// Random, the same in every worker of one server.
        public var serverID = "flagon-" + String(
            WorkerIdentity.current.map { Crypto.hmacSHA256(key: $0.sharedSecret, data: Array("server-id".utf8)).prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) } } ?? UInt32.random(in: 0...UInt32.max),
            radix: 36)
        /// `ADMIN_AUTH` (`none`, `user:password`, or `user:` and the password's bcrypt hash):
        /// the admin UI's instrumentation, on
        /// `ADMIN_NAMESPACE` (`/admin-ui`: the contract's `/admin` is taken), in `ADMIN_MODE`
        /// (`development` or `production`), read-only with `ADMIN_READONLY=1`.
        public var admin: AdminAuthentication?
        public var adminMode = AdminMode.development
        public var adminReadOnly = false
        public var adminNamespace = "/admin-ui"
        /// `MAX_SESSIONS_PER_ADDRESS`: at most this many sessions from one address, for the
        /// whole server (every worker); off by default.
        public var maxSessionsPerAddress: Int?
        /// The messages each room of `/live` keeps (`HISTORY_LIMIT`, default 50).
        public var historyLimit = 50

        /// The defaults.
        public init() {}

        /// Reads `RATE_LIMIT` and `DRAIN_MS`.
        public static func fromEnvironment(_ environment: [String: String]) -> Settings {
            var settings = Settings()
            settings.rateLimit = environment["RATE_LIMIT"].flatMap(Double.init).flatMap { $0 > 0 ? $0 : nil }
            if let drain = environment["DRAIN_MS"].flatMap(UInt64.init) { settings.drainMilliseconds = drain }
            settings.pingInterval = environment["PING_INTERVAL"].flatMap(UInt64.init)
            settings.pingTimeout = environment["PING_TIMEOUT"].flatMap(UInt64.init)
            if let id = environment["SERVER_ID"], !id.isEmpty { settings.serverID = id }
            if environment["PARSER"] == "msgpack" { settings.parser = .msgpack }
            settings.recoveryMilliseconds = environment["RECOVERY_MS"].flatMap(UInt64.init).flatMap { $0 > 0 ? $0 : nil }
            if let auth = environment["ADMIN_AUTH"], !auth.isEmpty {
                if auth == "none" {
                    settings.admin = AdminAuthentication.disabled
                } else if let colon = auth.firstIndex(of: ":") {
                    settings.admin = .basic(username: String(auth[..<colon]), password: String(auth[auth.index(after: colon)...]))
                }
            }
            if environment["ADMIN_MODE"] == "production" { settings.adminMode = .production }
            settings.adminReadOnly = environment["ADMIN_READONLY"] == "1"
            if let name = environment["ADMIN_NAMESPACE"], name.hasPrefix("/") { settings.adminNamespace = name }
            if let limit = environment["HISTORY_LIMIT"].flatMap(Int.init), limit > 0 { settings.historyLimit = limit }
            settings.maxSessionsPerAddress = environment["MAX_SESSIONS_PER_ADDRESS"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil }
            return settings
        }
    }

    /// Builds the app; `adapter` makes each namespace's adapter (a cluster's, in cluster mode).
    @LoopActor
    public static func make(_ settings: Settings = Settings(), adapter: (@LoopActor (Namespace) -> any SocketIOAdapter)? = nil,
                            stateStore: (any ConnectionStateStore)? = nil, historyStore: (any RoomHistoryStore)? = nil) -> App {
        let app = App()
        app.websocket("/echo", compression: WebSocketCompression()) { ws in
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
        if let interval = settings.pingInterval { options.engine.pingInterval = interval }
        options.engine.maxSessionsPerAddress = settings.maxSessionsPerAddress
        if let timeout = settings.pingTimeout { options.engine.pingTimeout = timeout }
        options.connectTimeout = 1000
        options.drainDuration = settings.drainMilliseconds
        options.parser = settings.parser
        if let window = settings.recoveryMilliseconds {
            options.connectionStateRecovery = ConnectionStateRecovery(maxDisconnectionDuration: window)
        }
        // GET /session/counter counts per client in a server-side session (shared by the workers).
        let key = WorkerIdentity.current?.sharedSecret ?? Crypto.randomBytes(32)
        app.use(SessionMiddleware(secretKey: key, backend: .server(MemorySessionStore())))
        app.get("/session/counter") { request in
            let count = (request.session["count"]?.intValue ?? 0) + 1
            request.session["count"] = .int(count)
            var answer: JSONObject = ["count": .int(count)]
            if let worker = WorkerIdentity.current { answer["worker"] = .int(worker.index) }
            return JSONValue.object(answer)
        }
        let sio = SocketIOServer(options: options, adapter: adapter, stateStore: stateStore)
        if let rate = settings.rateLimit {
            sio.main.rateLimit = RateLimit(perSecond: rate, burst: max(1, Int(rate)))
        }
        sio.register(MainController.self, namespace: "/")
        sio.register(CustomController.self, namespace: "/custom")
        sio.register(ChatController.self, namespace: "/chat")
        sio.register(AdminController.self, namespace: "/admin")
        sio.register(ACLController.self, namespace: "/acl")
        ClusterNamespace.serve(sio.of("/cluster"), serverID: settings.serverID)
        LiveNamespace.serve(sio.of("/live"), historyLimit: settings.historyLimit, historyStore: historyStore)
        if let auth = settings.admin {
            sio.instrument(auth: auth, mode: settings.adminMode, readOnly: settings.adminReadOnly, serverID: settings.serverID,
                           namespace: settings.adminNamespace)
        }
        sio.attach(to: app)
        return app
    }
}
