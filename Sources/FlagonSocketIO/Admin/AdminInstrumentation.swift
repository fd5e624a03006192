import Flagon
import FlagonJSON
import FlagonLoop
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How much ``AdminInstrumentation`` reports.
public enum AdminMode: Sendable {
    /// Everything: every socket, its rooms, and every event received and sent.
    case development
    /// Server statistics only (clients, transports, aggregated traffic): what production can afford.
    case production
}

/// The server side of the official Socket.IO admin UI (`@socket.io/admin-ui`, also spoken
/// by python-socketio's `instrument()`): an admin namespace where the UI logs in, receives
/// `server_stats` every 2 s and, in development mode, every socket and event; and, unless
/// read-only, makes sockets join, leave, disconnect or receive events.
///
/// ```swift
/// sio.instrument(auth: .basic(username: "admin", password: env["ADMIN_PASSWORD"]!), mode: .production)
/// ```
///
/// With a cluster adapter, the admin namespace is a namespace like any other: every server's
/// statistics and socket events reach a UI connected to any of them.
@LoopActor
public final class AdminInstrumentation {
    /// The admin namespace (`/admin` by default).
    public let namespace: Namespace
    /// What is reported.
    public let mode: AdminMode
    /// `true` when the UI may only watch.
    public let readOnly: Bool
    /// This server's name in the UI.
    public let serverID: String
    /// The features announced in the `config` event.
    public let supportedFeatures: [String]
    /// How often `server_stats` goes out, in milliseconds.
    public static let statsInterval: UInt64 = 2000

    unowned let server: SocketIOServer
    private let auth: AdminAuthentication
    private var sessions = AdminSessions()
    private var statsTimer: LoopTimer?
    private let startedAt = WallClock.milliseconds
    /// The engine's counters at the last report: the next one sends what changed since.
    private var reported: EngineStatistics
    private let hostname: String

    init(server: SocketIOServer, auth: AdminAuthentication, mode: AdminMode, readOnly: Bool, serverID: String?, namespaceName: String) {
        self.server = server
        self.auth = auth
        self.mode = mode
        self.readOnly = readOnly
        hostname = Self.hostname()
        // Each worker is one server for the UI, as each process of a Node cluster is.
        self.serverID = (serverID ?? hostname) + (WorkerIdentity.current.map { "#\($0.index)" } ?? "")
        namespace = server.of(namespaceName)
        reported = server.engine.statistics
        var features = readOnly ? [] : ["EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT"]
        features.append("AGGREGATED_EVENTS")
        if mode == .development { features.append("ALL_EVENTS") }
        supportedFeatures = features
    }

    /// `true` when per-socket events are reported.
    var reportsSockets: Bool { mode == .development }

    func start() {
        if let requests = WorkerRequests.shared {
            // With several workers, a session that another worker opened is checked there.
            requests.serve("admin.session") { [weak self] body in
                guard let self else { return [0] }
                return sessions.isValid(String(decoding: body, as: UTF8.self), now: WallClock.milliseconds) ? [1] : [0]
            }
            namespace.use { [unowned self] (socket: Socket, auth: JSONValue?) async throws in
                if let session = auth?["sessionId"]?.stringValue, let owner = AdminSessions.otherWorker(keeping: session),
                   await requests.ask(owner, "admin.session", Array(session.utf8), timeout: 1000) == [1] {
                    return
                }
                try await admit(socket, auth: auth)
            }
        } else {
            namespace.use { [unowned self] (socket: Socket, auth: JSONValue?) async throws in try await admit(socket, auth: auth) }
        }
        namespace.onConnect { [unowned self] socket, _ in welcome(socket) }
        if !readOnly { installActions() }
        if reportsSockets {
            for watched in server.allNamespaces where !watched.isParent { watch(watched) }
        }
        let timer = LoopTimer { [weak self] in self?.emitStats() }
        timer.start(afterMilliseconds: Self.statsInterval, repeatMilliseconds: Self.statsInterval)
        timer.unref()
        statsTimer = timer
        emitStats()
    }

    func stop() {
        statsTimer?.close()
        statsTimer = nil
    }

    // MARK: The UI's connection

    private func admit(_ socket: Socket, auth payload: JSONValue?) async throws {
        let now = WallClock.milliseconds
        switch await auth.verdict(for: payload, sessions: sessions, now: now) {
        case .refused:
            throw ConnectionRefused("invalid credentials")
        case .accepted:
            break
        case .acceptedWithNewSession:
            socket.emit("session", .string(sessions.open(now: now)))   // held until the CONNECT reply went out
        }
    }

    private func welcome(_ socket: Socket) {
        socket.emit("config", ["supportedFeatures": .array(supportedFeatures.map(JSONValue.string))])
        guard reportsSockets else { return }
        socket.startTask { [unowned self] in
            let sockets = await allSockets()
            socket.emit("all_sockets", .array(sockets))
        }
    }

    /// Every socket of every namespace, on every server of the cluster.
    private func allSockets() async -> [JSONValue] {
        var described: [JSONValue] = []
        for watched in server.allNamespaces.filter({ !$0.isParent }).sorted(by: { $0.name < $1.name }) {
            for socket in await watched.fetchSockets() { described.append(Self.describe(socket)) }
        }
        return described
    }

    /// The UI's operations: `emit`, `join`, `leave` and `_disconnect`, each with a namespace
    /// and an optional room that narrows it (the "filter").
    private func installActions() {
        namespace.on("emit") { [unowned self] _, args in
            guard args.count >= 3, let target = target(args[0], filter: args[1]), let event = args[2].stringValue else { return [] }
            target.emit(event, arguments: Array(args.dropFirst(3)))
            return []
        }
        // join and leave: (namespace, room, filter?).
        for (event, apply) in [("join", BroadcastOperator.socketsJoin), ("leave", BroadcastOperator.socketsLeave)] {
            namespace.on(event) { [unowned self] _, args in
                if args.count >= 2, let room = args[1].stringValue, let target = target(args[0], filter: args.dropFirst(2).first) {
                    apply(target)(room)
                }
                return []
            }
        }
        namespace.on("_disconnect") { [unowned self] _, args in
            guard args.count >= 1, let target = target(args[0], filter: args.dropFirst(2).first) else { return [] }
            target.disconnectSockets(close: args.dropFirst().first?.boolValue ?? false)
            return []
        }
    }

    /// The sockets an operation addresses: a declared namespace, narrowed to a room when
    /// the filter is a non-empty string, all of it when the filter is absent, `null` or empty.
    /// Unknown namespaces and filters of another type are ignored (never widened to everyone,
    /// never created).
    private func target(_ name: JSONValue, filter: JSONValue?) -> BroadcastOperator? {
        guard let name = name.stringValue, let watched = server.namespace(named: name) else { return nil }
        switch filter {
        case nil, .null?: return watched.all
        case .string(let room)?: return room.isEmpty ? watched.all : watched.to(room)
        default: return nil
        }
    }

    // MARK: Statistics

    private func emitStats() {
        let now = WallClock.milliseconds
        let stats = server.engine.statistics
        let second = now / 1000 * 1000
        var events: [JSONValue] = []
        func add(_ type: String, _ subType: String? = nil, count: Int) {
            guard count > 0 else { return }
            var event: JSONObject = ["timestamp": .int(second), "type": .string(type)]
            if let subType { event["subType"] = .string(subType) }
            event["count"] = .int(count)
            events.append(.object(event))
        }
        add("rawConnection", count: stats.handshakes - reported.handshakes)
        for (reason, count) in stats.closes.sorted(by: { $0.key < $1.key }) {
            add("rawDisconnection", reason, count: count - (reported.closes[reason] ?? 0))
        }
        add("packetsIn", count: stats.messagesReceived - reported.messagesReceived)
        add("packetsOut", count: stats.messagesSent - reported.messagesSent)
        add("bytesIn", count: stats.bytesReceived - reported.bytesReceived)
        add("bytesOut", count: stats.bytesSent - reported.bytesSent)
        reported = stats
        var polling = 0
        for session in server.engine.sessions.values where session.transport == .polling { polling += 1 }
        let namespaces: [JSONValue] = server.allNamespaces.filter { !$0.isParent }.sorted { $0.name < $1.name }.map {
            ["name": .string($0.name), "socketsCount": .int($0.sockets.count)]
        }
        let report: JSONObject = [
            "serverId": .string(serverID), "hostname": .string(hostname), "pid": .int(Int(getpid())),
            "uptime": .double(Double(now - startedAt) / 1000), "clientsCount": .int(server.engine.sessionCount),
            "pollingClientsCount": .int(polling), "aggregatedEvents": .array(events), "namespaces": .array(namespaces),
        ]
        namespace.emit("server_stats", .object(report))
    }

    private static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
