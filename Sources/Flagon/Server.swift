import FlagonHTTP
import FlagonLoop
import FlagonTLS
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Serves an ``App`` over HTTP/1.1 on the event loop.
///
/// ```swift
/// let server = try Server(app: app, options: options)
/// let port = try server.start()
/// // ...
/// await server.shutdown()
/// ```
///
/// A graceful shutdown (``shutdown(draining:)``, or SIGTERM under ``run()``) first runs the
/// app's drain hooks while still serving, then stops accepting, runs the shutdown hooks,
/// closes idle connections, lets in-flight responses finish within
/// ``ServerOptions/shutdownTimeout``, then closes everything. SIGINT skips the drain.
@LoopActor
public final class Server {
    /// The application.
    public let app: App
    /// The settings.
    public let options: ServerOptions
    /// Every libuv handle the server opened (listener, connections, timers); zero after shutdown.
    public let handles = HandleGroup()

    /// One per address listened on (``ServerOptions/listen``); none while a full worker has
    /// stopped accepting.
    var listeners: [TCPListener] = []
    private var sweepTimer: LoopTimer?
    private var signals: [SignalWatcher] = []
    var connections: [ObjectIdentifier: HTTPConnection] = [:]
    var upgraded: [ObjectIdentifier: TCPStream] = [:]
    private(set) var isShuttingDown = false
    /// `true` while the drain hooks of a graceful shutdown run.
    public private(set) var isDraining = false
    /// `true` once the server no longer keeps connections alive (after the drain).
    var isClosingConnections: Bool { isShuttingDown && !isDraining }
    private var stopped = false
    private var finishedWaiters: [CheckedContinuation<Void, Never>] = []
    /// The most connections open at once, WebSocket ones included: never so many that the
    /// process runs out of descriptors (its `ulimit -n`, less a margin for files and timers).
    var descriptorLimit = Int.max
    var acceptingPaused = false
    /// This worker's index when the server is one of several workers.
    private(set) var workerIndex: Int?
    private var cachedDateSecond = -1
    private var cachedDate = ""

    /// Builds the app (duplicate routes and bad declarations fail here) and prepares a server.
    /// With ``ServerOptions/tls``, the certificates are loaded here: one that cannot be
    /// loaded is an ``AppBuildError/invalidConfiguration(_:)`` naming the file and the reason.
    public init(app: App, options: ServerOptions = ServerOptions()) throws(AppBuildError) {
        try app.build()
        self.app = app
        self.options = options
        if let tls = options.tls {
            do {
                tlsContext = try tls.makeContext()
            } catch {
                throw .invalidConfiguration("TLS: \(error)")
            }
        }
    }

    /// The certificates new connections are served with; open connections keep theirs.
    private(set) var tlsContext: TLSContext?

    /// `true` when the server speaks HTTPS and WSS.
    public var isSecure: Bool { tlsContext != nil }

    /// Loads the TLS certificates and keys again from their files (after a renewal): new
    /// connections get them, open ones keep theirs. When the files cannot be loaded, the
    /// old certificates stay and the error says why. SIGHUP does this too.
    public func reloadTLS() throws(TLSError) {
        guard let tls = options.tls else { return }
        tlsContext = try tls.makeContext()
        app.logger.info("TLS certificates reloaded from \(tls.certificate.certificateFile)")
    }

    /// The port listened on (after ``start()``).
    public var port: Int { listeners.first { !$0.isUnixSocket }?.port ?? listenPort ?? options.port }
    private var listenPort: Int?

    /// Open HTTP connections (upgraded ones not counted).
    public var connectionCount: Int { connections.count }

    /// Starts listening; returns the port.
    @discardableResult
    public func start() throws(UVError) -> Int {
        precondition(listeners.isEmpty, "server already started")
        if options.servesWorkerSocket, let worker = WorkerIdentity.current, let mesh = WorkerMesh.shared {
            // Copies of the shared descriptors: this worker may stop listening for a while (full) and resume.
            listeners = try listenOnWorkerSockets(worker)
            workerIndex = worker.index
            mesh.streamGroup = handles
            mesh.onHandover = { [weak self] stream, bytes, origin in
                guard let self else { return stream.close() }
                self.adopt(stream, bytes: bytes, origin: origin)
            }
        } else {
            listeners = try openListeners(options.addresses) { address throws(UVError) in
                switch address {
                case .tcp(let host, let port, let ipv6Only):
                    try TCPListener(host: host, port: port, reusePort: options.reusePort, ipv6Only: ipv6Only, group: handles) {
                        [self] stream in accept(stream)   // closed at shutdown
                    }
                case .unix(let path, let permissions):
                    try TCPListener(unixPath: path, permissions: permissions, group: handles) { [self] stream in accept(stream) }
                }
            }
        }
        let interval = max(10, min(1000, min(options.headerTimeout, options.keepAliveTimeout) / 4))
        sweepTimer = LoopTimer(group: handles) { [self] in sweep() }
        sweepTimer?.start(afterMilliseconds: interval, repeatMilliseconds: interval)
        descriptorLimit = Self.openFileLimit() - 128
        listenPort = port
        for listener in listeners {
            app.logger.info("Flagon listening on \(isSecure ? "https" : "http")\(listener.isUnixSocket ? "+" : "://")\(listener.endpoint)")
        }
        return port
    }

    /// Starts, serves until a graceful shutdown completes (SIGINT or SIGTERM when
    /// ``ServerOptions/handleSignals`` is on), then returns.
    public func run() async throws {
        if listeners.isEmpty { try start() }
        if options.handleSignals {
            for signal in [SIGINT, SIGTERM] {
                signals.append(try SignalWatcher(signal: signal) { [weak self] in
                    guard let self else { return }
                    self.app.logger.info("signal \(signal): shutting down")
                    // SIGTERM (a deploy) drains; SIGINT (Ctrl-C) stops without the drain window.
                    Task { await self.shutdown(draining: signal == SIGTERM) }
                })
            }
            // SIGHUP (which a supervisor passes on to its workers) runs the reload hooks.
            signals.append(try SignalWatcher(signal: SIGHUP) { [weak self] in
                guard let self else { return }
                self.app.logger.info("signal \(SIGHUP): reloading (\(self.app.reloadHooks.count) hooks)")
                do {
                    try self.reloadTLS()
                } catch {
                    self.app.logger.error("TLS reload failed, the previous certificates stay: \(error)")
                }
                for hook in self.app.reloadHooks { hook() }
            })
        }
        await waitUntilStopped()
    }

    /// Returns once the server has stopped.
    public func waitUntilStopped() async {
        if stopped { return }
        await withCheckedContinuation { finishedWaiters.append($0) }
    }

    /// Shuts down gracefully and returns when every handle is closed: first the app's drain
    /// hooks while the server still serves (unless `draining` is `false`), then no more
    /// connections, in-flight requests finished within ``ServerOptions/shutdownTimeout``.
    public func shutdown(draining: Bool = true) async {
        if isShuttingDown {
            await waitUntilStopped()
            return
        }
        isShuttingDown = true
        // Drain first: the server keeps serving (and accepting) while the hooks run.
        isDraining = true
        let drains = (draining ? app.drainHooks : []).map { hook in Task { await hook() } }
        for drain in drains { await drain.value }
        isDraining = false
        for listener in listeners { listener.close() }
        for hook in app.shutdownHooks { hook() }
        for connection in connections.values { connection.beginShutdown() }
        let deadline = EventLoop.shared.nowMilliseconds + options.shutdownTimeout
        while !connections.isEmpty && EventLoop.shared.nowMilliseconds < deadline {
            await LoopTimer.sleep(milliseconds: 10)
        }
        for connection in Array(connections.values) { connection.forceClose() }
        for stream in upgraded.values { stream.close() }
        sweepTimer?.close()
        for watcher in signals { watcher.close() }
        signals = []
        await handles.waitUntilEmpty()
        stopped = true
        app.logger.info("Flagon stopped")
        let waiters = finishedWaiters
        finishedWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    func accept(_ stream: TCPStream) {
        if isClosingConnections || connections.count >= options.maxConnections || connections.count + upgraded.count >= descriptorLimit {
            stream.close()
            // A full worker stops taking connections: the other workers take them meanwhile.
            if workerIndex != nil && !isClosingConnections { pauseAccepting() }
            return
        }
        stream.highWaterMark = options.writeHighWaterMark
        if let tlsContext {
            stream.secure(with: TLSEngine(context: tlsContext), handshakeTimeoutMilliseconds: options.tls?.handshakeTimeout)
        }
        let connection = HTTPConnection(stream: stream, server: self)
        connections[ObjectIdentifier(connection)] = connection
        connection.start()
    }

    func connectionClosed(_ connection: HTTPConnection) {
        connections[ObjectIdentifier(connection)] = nil
    }

    func connectionUpgraded(_ connection: HTTPConnection, stream: TCPStream) {
        connections[ObjectIdentifier(connection)] = nil
        upgraded[ObjectIdentifier(stream)] = stream
    }

    private func sweep() {
        let now = EventLoop.shared.nowMilliseconds
        for connection in Array(connections.values) { connection.checkTimeouts(now: now) }
        if !upgraded.isEmpty { upgraded = upgraded.filter { !$0.value.isClosed } }
        resumeAcceptingIfRoom()
    }

    /// The `Date` header value, formatted once per second.
    var dateHeader: String {
        let second = Int(time(nil))
        if second != cachedDateSecond {
            cachedDateSecond = second
            cachedDate = HTTPDate.format(second)
        }
        return cachedDate
    }
}

extension App {
    /// Serves the app until SIGINT or SIGTERM: on `host` (default 127.0.0.1) and `port`
    /// (default `$PORT`, else 5000), the way `flask run` does, with `workers` processes
    /// (default `$FLAGON_WORKERS`, else one), over TLS with `tls` (default `$TLS_CERT` and
    /// `$TLS_KEY` when both are set, else plain HTTP), trusting the proxies that
    /// `$FLAGON_TRUSTED_PROXIES` lists (``ServerOptions/trustedProxies``). `$FLAGON_LISTEN`
    /// (`0.0.0.0:8080,[::]:8080/ipv6-only,unix:/run/app.sock`) listens on those addresses
    /// instead of `host` and `port` (``ServerOptions/listen``).
    ///
    /// With several workers, this process becomes their supervisor here and never returns;
    /// each worker runs the program again from the start, so top-level code before this call
    /// runs in the supervisor and in every worker (``WorkerSupervisor``).
    ///
    /// ```swift
    /// try await app.run()
    /// try await app.run(workers: .auto)   // every core
    /// try await app.run(tls: TLSOptions(certificateFile: "cert.pem", privateKeyFile: "key.pem"))
    /// ```
    public func run(host: String = "127.0.0.1", port: Int? = nil, workers: WorkerCount? = nil, tls: TLSOptions? = nil) async throws {
        var options = ServerOptions()
        options.host = host
        options.tls = tls ?? TLSOptions.fromEnvironment
        // FLAGON_TRUSTED_PROXIES: networks, comma-separated (`127.0.0.1,10.0.0.0/8`).
        if let text = getenv("FLAGON_TRUSTED_PROXIES").map({ String(cString: $0) }), !text.isEmpty {
            options.trustedProxies = try text.split(separator: ",").map { item in
                guard let network = IPNetwork(String(item.trimmingSpaces)) else {
                    throw AppBuildError.invalidConfiguration("FLAGON_TRUSTED_PROXIES: \(item) is not an address or a network")
                }
                return network
            }
        }
        options.port = port ?? getenv("PORT").flatMap { Int(String(cString: $0)) } ?? 5000
        options.listen = try Self.listenFromEnvironment()
        try await WorkerSupervisor.superviseIfPrimary(workers ?? .fromEnvironment, listen: options.addresses)
        let server = try Server(app: self, options: options)
        try await server.run()
    }
}

extension App {
    /// Builds an app on the loop and serves it until SIGINT or SIGTERM: the shortest way to
    /// write a server in top-level code, where every call into the loop's actor would
    /// otherwise need an `await` (top-level code runs on the main actor).
    ///
    /// ```swift
    /// try await App.run { app in
    ///     app.get("/") { _ in "<h1>Hello</h1>" }
    /// }
    /// ```
    public nonisolated static func run(
        host: String = "127.0.0.1", port: Int? = nil, workers: WorkerCount? = nil, tls: TLSOptions? = nil,
        _ configure: @escaping @LoopActor @Sendable (App) throws -> Void
    ) async throws {
        try await serve(host: host, port: port, workers: workers, tls: tls, configure)
    }

    @LoopActor
    private static func serve(
        host: String, port: Int?, workers: WorkerCount?, tls: TLSOptions?, _ configure: @LoopActor (App) throws -> Void
    ) async throws {
        // The supervisor builds no app: only the workers serve.
        let resolvedPort = port ?? getenv("PORT").flatMap { Int(String(cString: $0)) } ?? 5000
        try await WorkerSupervisor.superviseIfPrimary(workers ?? .fromEnvironment, host: host, port: resolvedPort)
        let app = App()
        try configure(app)
        try await app.run(host: host, port: port, workers: workers, tls: tls)
    }
}

extension App {
    /// `$FLAGON_LISTEN`'s addresses; empty when it is not set.
    nonisolated static func listenFromEnvironment() throws -> [ListenAddress] {
        guard let text = getenv("FLAGON_LISTEN").map({ String(cString: $0) }), !text.isEmpty else { return [] }
        return try ListenAddress.parseList(text)
    }
}
