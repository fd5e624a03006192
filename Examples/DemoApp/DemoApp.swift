import FlagonSocketIO
#if canImport(Glibc)
import Glibc
#endif

/// The demo application: a chat (login form, class-based `/chat` namespace with rooms and
/// an ACL, the official JavaScript client), plus routes with typed parameters, JSON, a
/// static page and a session counter.
public enum DemoApp {
    /// The folder of the demo's static files.
    public static let staticDirectory: String = {
        var path = #filePath
        while let last = path.last, last != "/" { path.removeLast() }
        return path + "static"
    }()

    /// Builds the app. `secretKey` signs the session cookie (random when not given; the
    /// processes of a cluster share `FLAGON_SECRET_KEY`); `adapter` makes each namespace's
    /// adapter (a Redis cluster's, to run several processes); `stateStore` keeps what
    /// connection state recovery needs (in the process by default; the cluster's Redis to
    /// recover on any process); `historyStore` keeps the rooms' recent messages (in the
    /// process, or the worker that owns each room, by default; the cluster's Redis to share
    /// one numbering across servers).
    @LoopActor
    public static func make(secretKey: [UInt8]? = nil, adapter: (@LoopActor (Namespace) -> any SocketIOAdapter)? = nil,
                            stateStore: (any ConnectionStateStore)? = nil, historyStore: (any RoomHistoryStore)? = nil) -> App {
        let app = App()
        // Workers share the supervisor's random key unless one is set.
        let key = secretKey ?? getenv("FLAGON_SECRET_KEY").map { Array(String(cString: $0).utf8) }
            ?? WorkerIdentity.current?.sharedSecret ?? Crypto.randomBytes(32)
        let sessions = SessionMiddleware(secretKey: key)
        app.use(sessions)
        app.use(Compression())      // gzip or deflate above 1 KB (long-polling has its own, on by default)
        var options = SocketIOOptions()
        options.engine.perMessageDeflate = WebSocketCompression()   // browsers offer it; 1 KB and more
        // A client that loses its connection for up to two minutes gets its socket, its room
        // and the messages it missed back (the page says "reconnected (recovered)").
        options.connectionStateRecovery = ConnectionStateRecovery(maxDisconnectionDuration: 120_000)
        // FLAGON_ADMIN_PASSWORD turns on the Socket.IO admin UI (https://admin.socket.io, user "admin").
        let adminPassword = getenv("FLAGON_ADMIN_PASSWORD").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
        if adminPassword != nil {
            options.engine.cors = .origins(["https://admin.socket.io"])
            options.engine.corsCredentials = true
        }
        let sio = SocketIOServer(options: options, sessions: sessions, adapter: adapter, stateStore: stateStore)
        sio.register(ChatRoomController.self, namespace: "/chat")
        // Who is in each room, across workers and servers: the page lists them, and the room
        // hears "presence" events as users arrive and leave (a user with two tabs, once).
        sio.of("/chat").trackPresence(event: "presence")
        // The last 20 messages of each room, replayed to whoever joins.
        sio.of("/chat").keepHistory(RoomHistoryLimits(maxMessages: 20), store: historyStore)
        if let adminPassword { sio.instrument(auth: .basic(username: "admin", password: adminPassword), mode: .development) }
        sio.attach(to: app)

        app.get("/") { request in
            Response.html(ChatPage.html(user: request.session["user"]?.stringValue))
        }
        app.post("/login") { request in
            let name = (try request.form()["name"] ?? "").trimmingSpaces
            guard !name.isEmpty, name.count <= 32 else { throw HTTPError(400, "a name of 1 to 32 characters, please") }
            request.session["user"] = .string(name)
            return Response.redirect(to: "/", status: 303)
        }
        app.get("/logout") { request in
            request.session["user"] = nil
            return Response.redirect(to: "/", status: 303)
        }
        app.get("/hello/<name>") { request in
            Response.text("Hello, \(try request.parameters.require("name"))!")
        }
        app.get("/users/<int:id>") { request in
            let id = try request.parameters.require("id", as: Int.self)
            return JSONValue(["id": .int(id), "name": .string("user \(id)")])
        }
        app.post("/api/echo") { request in
            JSONValue(["received": try request.json()])
        }
        app.get("/counter") { request in
            let count = (request.session["count"]?.intValue ?? 0) + 1
            request.session["count"] = .int(count)
            return JSONValue(["count": .int(count)])
        }
        app.post("/counter/reset") { request in
            request.session.clear()
            return Response.redirect(to: "/counter", status: 303)
        }
        app.get("/plain") { _ in Response.text("Hello, World!") }
        app.static("/static", directory: staticDirectory)
        app.serveMetrics()          // GET /metrics, in the Prometheus text format
        app.logRequests(.keyValue)  // one line per request (FLAGON_LOG_LEVEL=warning silences them)
        return app
    }
}
