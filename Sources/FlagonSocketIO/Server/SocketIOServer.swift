import Flagon
import FlagonHTTP
import FlagonJSON
import FlagonLoop
import FlagonSocketIOCore

/// A Socket.IO v5 server on Engine.IO v4, mountable in a Flagon ``App``.
///
/// ```swift
/// let sio = SocketIOServer()
/// sio.on("chat") { socket, args in
///     sio.emit("chat", arguments: args)
///     return []
/// }
/// sio.attach(to: app)            // mounts at /socket.io and closes sessions at shutdown
/// app.post("/notify") { request in
///     sio.emit("notice", .string(request.text))   // emit from an HTTP route
///     return "sent"
/// }
/// ```
@LoopActor
public final class SocketIOServer: HTTPHandler {
    /// The settings.
    public let options: SocketIOOptions
    /// The Engine.IO server underneath.
    public let engine: EngineServer
    private var namespaces: [String: Namespace] = [:]
    /// The app's session middleware: sockets see the HTTP session of their handshake.
    public let sessions: SessionMiddleware?
    /// Flask-SocketIO's `manage_session`: `true` copies the HTTP session into each socket
    /// at connect (changes stay in Socket.IO); `false` shares the server-side store both ways.
    public let manageSession: Bool
    /// The default error handler of controllers (Flask-SocketIO's `on_error_default`): its
    /// result, when not `nil`, is sent as the ack.
    public var onErrorDefault: (@LoopActor (Socket, String, any Error) -> JSONValue?)?
    private let makeAdapter: @LoopActor (Namespace) -> any SocketIOAdapter
    /// Where connection state recovery keeps its state (`nil` when recovery is off).
    public let stateStore: (any ConnectionStateStore)?

    /// Creates a server; `adapter` makes the adapter of each namespace (in-memory by default);
    /// `sessions` is the app's session middleware, when sockets should see the HTTP session;
    /// `stateStore` keeps what ``SocketIOOptions/connectionStateRecovery`` needs (in this
    /// process by default; a cluster's store to recover on any of its servers).
    public init(options: SocketIOOptions = SocketIOOptions(), sessions: SessionMiddleware? = nil, manageSession: Bool = true,
                adapter: (@LoopActor (Namespace) -> any SocketIOAdapter)? = nil, stateStore: (any ConnectionStateStore)? = nil) {
        self.options = options
        // In a worker, recovery spans the workers: each follows every broadcast for its log.
        let workers = adapter == nil ? WorkerMeshTransport.shared : nil
        if let workers, options.connectionStateRecovery != nil { workers.routing = .pattern }
        self.stateStore = options.connectionStateRecovery.map { settings in
            if let stateStore { return stateStore }
            if let workers, let requests = WorkerRequests.shared {
                return WorkerConnectionStateStore(settings: settings, transport: workers, requests: requests)
            }
            return InMemoryConnectionStateStore(settings: settings)
        }
        self.sessions = sessions
        self.manageSession = manageSession
        self.engine = EngineServer(options: options.engine)
        // Workers of one server share rooms and broadcasts over their links by default.
        if let adapter {
            self.makeAdapter = adapter
        } else if let transport = WorkerMeshTransport.shared {
            self.makeAdapter = { ClusterAdapter(namespace: $0, transport: transport) }
        } else {
            self.makeAdapter = { InMemoryAdapter(namespace: $0) }
        }
        engine.onConnection = { [unowned self] session in _ = SocketIOConnection(engine: session, server: self) }
        _ = of("/")
    }

    /// The namespace of that name, created when first asked for.
    public func of(_ name: String) -> Namespace {
        let key = name.hasPrefix("/") ? name : "/" + name
        if let existing = namespaces[key] { return existing }
        let namespace = Namespace(name: key, server: self)
        namespace.installAdapter(makeAdapter(namespace))
        namespaces[key] = namespace
        instrumentation?.watch(namespace)
        return namespace
    }

    /// Parent namespaces, in the order they were declared.
    private var parents: [Namespace] = []

    /// A parent namespace for every name that matches `pattern` as a whole (socket.io's
    /// `io.of(/^\/workspace-\d+$/)`): a child namespace of that name is created on its first
    /// connection and gets the parent's middleware, handlers and controller class;
    /// `parent.emit` reaches the sockets of every child.
    ///
    /// ```swift
    /// let workspaces = sio.of(matching: /\/workspace-\d+/)
    /// workspaces.onConnect { socket, _ in socket.emit("hello", .string(socket.namespace.name)) }
    /// ```
    public func of(matching pattern: some RegexComponent) -> Namespace {
        let regex = Regex(pattern.regex)
        return parent(named: "/(pattern \(parents.count + 1))", .sync { name, _ in (try? regex.wholeMatch(in: name)) != nil })
    }

    /// A parent namespace for the names (and CONNECT auth payloads) that `accept` allows.
    ///
    /// ```swift
    /// let rooms = sio.of { name, auth in name.hasPrefix("/room-") && auth?["token"] != nil }
    /// ```
    public func of(_ accept: @escaping @LoopActor (String, JSONValue?) -> Bool) -> Namespace {
        parent(named: "/(function \(parents.count + 1))", .sync(accept))
    }

    /// A parent namespace whose `accept` may wait (a database lookup).
    public func of(_ accept: @escaping @LoopActor @Sendable (String, JSONValue?) async -> Bool) -> Namespace {
        parent(named: "/(function \(parents.count + 1))", .async(accept))
    }

    private func parent(named name: String, _ matcher: NamespaceMatcher) -> Namespace {
        let parent = Namespace(name: name, server: self)
        parent.childMatcher = matcher
        parent.installAdapter(InMemoryAdapter(namespace: parent))   // never holds sockets
        parents.append(parent)
        return parent
    }

    /// The namespace of `name`: a declared one, or a child of the first parent that accepts
    /// it (created now); `nil` when none does.
    func resolveNamespace(_ name: String, auth: JSONValue?) async -> Namespace? {
        if let declared = namespaces[name] { return declared }
        for parent in parents where await parent.childMatcher?.matches(name, auth: auth) == true {
            if let created = namespaces[name] { return created }   // made while this one waited
            let child = Namespace(name: name, server: self)
            child.inherit(from: parent)
            child.installAdapter(makeAdapter(child))
            namespaces[name] = child
            parent.children[name] = child
            instrumentation?.watch(child)
            return child
        }
        return nil
    }

    /// Whether any parent namespace is declared (a CONNECT to an unknown name must ask them).
    var hasParents: Bool { !parents.isEmpty }

    /// Removes a child namespace whose last socket left (``SocketIOOptions/cleanupEmptyChildNamespaces``).
    func removeEmptyChild(_ child: Namespace) {
        guard options.cleanupEmptyChildNamespaces, let parent = child.parent, child.sockets.isEmpty,
              namespaces[child.name] === child else { return }
        namespaces[child.name] = nil
        parent.children[child.name] = nil
        child.adapter.close()
    }

    /// Serves a namespace with a controller class: one instance per connected socket.
    ///
    /// ```swift
    /// sio.register(ChatController.self, namespace: "/chat")
    /// ```
    ///
    /// A class whose `initialACL` names an event it does not have is a configuration error:
    /// the app refuses to start (``App/build()`` throws) with a message that names it.
    public func register<C: NamespaceController>(_ type: C.Type, namespace name: String = "/") {
        register(type, in: of(name))
    }

    /// Serves a namespace (a parent namespace too: every child) with a controller class.
    ///
    /// ```swift
    /// sio.register(WorkspaceController.self, in: sio.of(matching: /\/workspace-\d+/))
    /// ```
    public func register<C: NamespaceController>(_ type: C.Type, in namespace: Namespace) {
        let binding = ControllerBinding(type)
        if let problem = binding.configurationError {
            options.logger.error("register(\(binding.className).self): \(problem)")
            configurationErrors.append("register(\(binding.className).self, namespace: \"\(namespace.name)\"): \(problem)")
        }
        namespace.setController(binding)
    }

    private var stateRefresh: LoopTimer?

    /// The admin UI's instrumentation, once ``instrument(auth:mode:readOnly:serverID:namespace:)`` ran.
    public private(set) var instrumentation: AdminInstrumentation?

    /// Serves the official Socket.IO admin UI (`@socket.io/admin-ui`, hosted at
    /// admin.socket.io or self-hosted) and python-socketio's admin clients: an admin
    /// namespace (`namespace`, `/admin` by default) where they log in with `auth`, get
    /// `server_stats` every 2 s and, in `.development` mode, every socket, room change and
    /// event; unless `readOnly`, they may make sockets join, leave, disconnect or receive
    /// an event. `serverID` names this server in the UI (the host name by default).
    ///
    /// ```swift
    /// sio.instrument(auth: .basic(username: "admin", password: adminPassword), mode: .production)
    /// ```
    ///
    /// The UI runs in a browser on another origin: allow it in ``EngineOptions/cors``
    /// (`https://admin.socket.io` for the hosted one). Calling it again returns the first
    /// instrumentation unchanged.
    @discardableResult
    public func instrument(auth: AdminAuthentication, mode: AdminMode = .development, readOnly: Bool = false,
                           serverID: String? = nil, namespace name: String = "/admin") -> AdminInstrumentation {
        if let instrumentation { return instrumentation }
        let created = AdminInstrumentation(server: self, auth: auth, mode: mode, readOnly: readOnly, serverID: serverID,
                                           namespaceName: name)
        instrumentation = created
        created.start()
        return created
    }

    /// A store that keeps connected sockets' states (to recover them after their process
    /// dies) gets them again every half recovery window: `data` changes and expiry times.
    private func startStateRefresh() {
        guard stateRefresh == nil, let store = stateStore, store.keepsConnectedStates,
              let window = options.connectionStateRecovery?.maxDisconnectionDuration else { return }
        let timer = LoopTimer { [weak self] in
            guard let self else { return }
            for namespace in namespaces.values {
                for socket in namespace.sockets.values { socket.saveConnectedState() }
            }
        }
        timer.start(afterMilliseconds: max(1000, window / 2), repeatMilliseconds: max(1000, window / 2))
        timer.unref()
        stateRefresh = timer
    }

    /// Problems found while the server was declared, reported when the app is built.
    private(set) var configurationErrors: [String] = []

    /// Every namespace: declared ones, children of parents, and the parents.
    public var allNamespaces: [Namespace] { Array(namespaces.values) + parents }

    /// The declared namespace of that name, if any.
    public func namespace(named name: String) -> Namespace? { namespaces[name] }

    /// The main namespace `/`.
    public var main: Namespace { of("/") }

    /// Handles an event of the main namespace synchronously.
    public func on(_ event: String, _ handler: @escaping Namespace.EventHandler) { main.on(event, handler) }

    /// Handles an event of the main namespace asynchronously.
    public func on(_ event: String, _ handler: @escaping Namespace.AsyncEventHandler) { main.on(event, handler) }

    /// Handles an event of the main namespace with typed parameters (as ``Namespace``'s).
    ///
    /// ```swift
    /// sio.on("add") { (socket: Socket, a: Int, b: Int) -> Int in a + b }
    /// ```
    public func on<each A: EventArgument, R: AckConvertible>(
        _ event: String, _ handler: @escaping @LoopActor (Socket, repeat each A) throws -> R
    ) {
        main.on(event, handler)
    }

    /// Handles an event of the main namespace with typed parameters and no ack value.
    public func on<each A: EventArgument>(_ event: String, _ handler: @escaping @LoopActor (Socket, repeat each A) throws -> Void) {
        main.on(event, handler)
    }

    /// Handles an event of the main namespace asynchronously with typed parameters.
    public func on<each A: EventArgument, R: AckConvertible>(
        _ event: String, _ handler: @escaping @LoopActor @Sendable (Socket, repeat each A) async throws -> R
    ) {
        main.on(event, handler)
    }

    /// Handles an event of the main namespace asynchronously with typed parameters and no ack value.
    public func on<each A: EventArgument>(
        _ event: String, _ handler: @escaping @LoopActor @Sendable (Socket, repeat each A) async throws -> Void
    ) {
        main.on(event, handler)
    }

    /// Adds a connect handler to the main namespace.
    public func onConnect(_ handler: @escaping Namespace.ConnectHandler) { main.onConnect(handler) }

    /// Adds a disconnect handler to the main namespace.
    public func onDisconnect(_ handler: @escaping @LoopActor (Socket, DisconnectReason) -> Void) { main.onDisconnect(handler) }

    /// Emits to every socket of a namespace (the main one by default).
    @discardableResult
    public func emit(_ event: String, _ args: JSONValue..., namespace: String = "/") -> Int {
        of(namespace).emit(event, arguments: args)
    }

    /// Emits to every socket of the main namespace.
    @discardableResult
    public func emit(_ event: String, arguments: [JSONValue]) -> Int { main.emit(event, arguments: arguments) }

    /// Targets a room of the main namespace.
    public func to(_ room: String) -> BroadcastOperator { main.to(room) }

    /// Emits from any thread: the work hops onto the loop.
    ///
    /// ```swift
    /// Thread.detachNewThread { sio.emitFromAnyThread("tick", arguments: [1], room: "dashboard") }
    /// ```
    public nonisolated func emitFromAnyThread(_ event: String, arguments: [JSONValue], room: String? = nil, namespace: String = "/") {
        EventLoop.shared.execute { [self] in
            LoopActor.assumeIsolated {
                let target = self.of(namespace)
                if let room { target.to(room).emit(event, arguments: arguments) } else { target.emit(event, arguments: arguments) }
            }
        }
    }

    public func respond(to request: Request) async throws -> Response {
        try await engine.respond(to: request)
    }

    /// Closes every session at a random moment within ``SocketIOOptions/drainDuration``,
    /// at the Engine.IO level (WebSocket close 1001, a close packet on polling), never with a
    /// Socket.IO DISCONNECT, so that clients reconnect (to another server) by themselves.
    /// New handshakes get 503 meanwhile. Returns when every session has closed.
    public func drain() async {
        engine.isDraining = true
        let window = options.drainDuration
        let sessions = Array(engine.sessions.values)
        if !sessions.isEmpty {
            options.logger.info("draining \(sessions.count) sessions over \(window) ms")
        }
        var closers: [LoopTimer] = []
        for session in sessions {
            let closer = LoopTimer(group: engine.handles) { [weak session] in session?.closeAfterFlush(reason: .serverShutdown) }
            closer.start(afterMilliseconds: window == 0 ? 0 : UInt64.random(in: 0...window))
            closers.append(closer)
        }
        let deadline = EventLoop.shared.nowMilliseconds + window + 1000
        while engine.sessionCount > 0 && EventLoop.shared.nowMilliseconds < deadline {
            await LoopTimer.sleep(milliseconds: 10)
        }
        for closer in closers { closer.close() }
        engine.closeAll()
    }

    /// Mounts the server in an app at `path` and closes its sessions when the server shuts down.
    /// With `manageSession: false`, the app refuses to start unless the sessions are
    /// server-side: a Socket.IO connection cannot set a cookie.
    public func attach(to app: App, at path: String = "/socket.io") {
        app.mount(path, self)
        app.onDrain { [self] in await drain() }
        app.addMetrics { [weak self] out in self?.writeMetrics(into: &out) }
        app.onShutdown { [self] in
            engine.closeAll()
            stateRefresh?.close()
            instrumentation?.stop()
        }
        startStateRefresh()
        let manageSession = self.manageSession
        let sessions = self.sessions
        app.addValidator { [self] () throws(AppBuildError) in
            if let problem = configurationErrors.first { throw AppBuildError.invalidConfiguration(problem) }
            guard !manageSession else { return }
            guard let sessions, sessions.isServerSide else {
                throw AppBuildError.invalidConfiguration(
                    "manageSession: false shares the HTTP session with Socket.IO, which needs a server-side session store "
                        + "(SessionMiddleware(secretKey:backend: .server(store))): a cookie session cannot be changed from a "
                        + "Socket.IO connection, because it cannot set a cookie")
            }
        }
    }
}
