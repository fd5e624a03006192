import Flagon
import FlagonHTTP
import FlagonJSON
import FlagonLoop
import FlagonSocketIOCore

/// One client connected to one namespace.
///
/// ```swift
/// sio.on("join") { socket, args in
///     guard let room = args.first?.stringValue else { return [false] }
///     socket.join(room)
///     socket.to(room).emit("joined", .string(socket.id))
///     return [true]
/// }
/// ```
@LoopActor
public final class Socket {
    /// The Socket.IO id (distinct per namespace connection; also the name of its own room).
    /// A recovered socket has its previous id again.
    public internal(set) var id: String
    /// The private id that lets this client recover the socket after losing its connection
    /// (``ConnectionStateRecovery``); `nil` when recovery is off.
    public internal(set) var pid: String? {
        get { rare?.pid }
        set { if newValue != nil || rare != nil { rareState.pid = newValue } }
    }
    /// `true` when the socket was recovered: same id, rooms and ``data`` as before the client
    /// lost its connection, and the broadcasts it missed were sent after the CONNECT reply.
    public internal(set) var recovered: Bool {
        get { rare?.recovered ?? false }
        set { if newValue || rare != nil { rareState.recovered = newValue } }
    }
    /// The namespace.
    public let namespace: Namespace
    /// The auth payload the client sent with CONNECT.
    public var auth: JSONValue? { rare?.auth }
    /// Per-socket session values (python-socketio's `session()`). With `manageSession`
    /// (the default) they start as a copy of the HTTP session of the handshake.
    public var session = JSONObject()
    /// Anything the app wants to keep with the socket and show to other servers: it travels
    /// with ``Namespace/fetchSockets()`` (socket.io's `socket.data`).
    public var data: JSONValue = .null {
        didSet { if isConnected { server.instrumentation?.dataChanged(self) } }
    }
    /// `true` while connected.
    public internal(set) var isConnected: Bool {
        get { hot.value.isConnected }
        set { hot.value.isConnected = newValue }
    }
    /// `true` from the CONNECT until the socket is accepted, refused or gone.
    var connecting: Bool {
        get { hot.value.connecting }
        set { hot.value.connecting = newValue }
    }
    /// When the socket connected, in milliseconds since 1970.
    public let issued: Int
    /// The controller instance serving this socket, for class-based namespaces.
    public internal(set) var controller: NamespaceControllerBase? {
        get { hot.value.controller }
        set { hot.value.controller = newValue }
    }
    /// Events to this client dropped because it read too slowly (see ``SlowConsumerPolicy``)
    /// or because they were volatile and the transport was busy.
    public private(set) var droppedMessages: Int {
        get { rare?.droppedMessages ?? 0 }
        set { rareState.droppedMessages = newValue }
    }
    /// The socket's rate-limit buckets, when a limit applies to its namespace.
    var limiter: EventRateLimiter? {
        _read { yield hot.value.limiter }
        _modify { yield &hot.value.limiter }
    }
    /// The server-side HTTP session shared with this socket when `manageSession` is off.
    var sharedSessionID: String? {
        get { rare?.sharedSessionID }
        set { if newValue != nil || rare != nil { rareState.sharedSessionID = newValue } }
    }
    /// The reason the socket left, once it has.
    public internal(set) var disconnectReason: DisconnectReason? {
        get { rare?.disconnectReason }
        set { rareState.disconnectReason = newValue }
    }

    let connection: SocketIOConnection
    /// The connection's Engine.IO session, for the paths taken per message sent. The socket
    /// keeps its connection, which keeps the session: held unretained and called through
    /// ``withEngine(_:)``, it costs no reference counting (a plain unowned reference is
    /// still retained around each call).
    private let engineReference: UnretainedReference<EngineSession>

    /// Calls `body` with the session, without a retain and a release.
    @inline(__always)
    func withEngine<R>(_ body: (EngineSession) -> R) -> R {
        engineReference.with(body)
    }
    /// The namespace's dispatcher, the same way: the socket keeps its namespace, which keeps
    /// its dispatcher (reading the namespace's lazy property returns it retained).
    let dispatcherReference: UnretainedReference<EventDispatcher>
    private var nextAckID = 0
    /// The acks this socket waits for, by id.
    var pendingAcks: [Int: PendingAck] {
        _read { yield hot.value.pendingAcks }
        _modify { yield &hot.value.pendingAcks }
    }
    var buffered: [(OutboundMessage, SocketIOPacket)] = []
    var ownedTasks: [Task<Void, Never>] = []

    /// What most sockets never set, kept out of line so that an idle socket stays small:
    /// allocated on the first write.
    private final class RareState {
        var pid: String?
        var recovered = false
        var auth: JSONValue?
        var sharedSessionID: String?
        var disconnectReason: DisconnectReason?
        var droppedMessages = 0
        var credentials: SocketCredentials?
        var credentialsTimer: LoopTimer?
        var presenceKey: String?
    }

    private var rare: RareState? {
        get { hot.value.rare }
        set { hot.value.rare = newValue }
    }

    /// The state read or changed per message, in a cell: no dynamic exclusivity check per
    /// access. Sound because no code that runs during an access reaches the cell again: the
    /// flags and references are read or set in one statement, and the ack table is changed
    /// before or after an ack's callback runs, never during it.
    private struct HotState {
        var isConnected = false
        var connecting = true
        var controller: NamespaceControllerBase?
        var limiter: EventRateLimiter?
        var pendingAcks: [Int: PendingAck] = [:]
        var rare: RareState?
    }

    private let hot = LoopConfinedCell.holding(HotState())

    /// The credentials given by ``grantCredentials(_:)`` (out of line: most sockets have none).
    var storedCredentials: SocketCredentials? {
        get { rare?.credentials }
        set { if newValue != nil || rare != nil { rareState.credentials = newValue } }
    }
    /// The timer of the credentials' warning, then of their expiry.
    var credentialsTimer: LoopTimer? {
        get { rare?.credentialsTimer }
        set { if newValue != nil || rare != nil { rareState.credentialsTimer = newValue } }
    }
    /// The key this socket is present under (``presenceKey``).
    var storedPresenceKey: String? {
        get { rare?.presenceKey }
        set { if newValue != nil || rare != nil { rareState.presenceKey = newValue } }
    }

    /// `true` once the out-of-line state exists.
    var hasRareState: Bool { rare != nil }

    private var rareState: RareState {
        if let rare { return rare }
        let state = RareState()
        rare = state
        return state
    }

    struct PendingAck {
        let callback: @LoopActor (Result<[JSONValue], AckError>) -> Void
        let deadline: UInt64?
    }

    init(namespace: Namespace, connection: SocketIOConnection, auth: JSONValue?) {
        self.id = EngineSession.makeID()
        self.namespace = namespace
        self.connection = connection
        self.engineReference = UnretainedReference(connection.engine)
        self.dispatcherReference = UnretainedReference(namespace.dispatcher)
        self.issued = WallClock.milliseconds
        if let auth { rareState.auth = auth }
    }

    /// The handshake as socket.io describes it to other servers (`socket.handshake` there).
    public var handshakeDescription: JSONValue {
        let request = handshake
        var headers = JSONObject()
        for (name, value) in request.headers {
            let key = name.lowercased()
            if let earlier = headers[key]?.stringValue { headers[key] = .string(earlier + ", " + value) } else { headers[key] = .string(value) }
        }
        var query = JSONObject()
        for (name, value) in request.query { query[name] = .string(value) }
        let url = request.fullPath + (request.rawQuery.isEmpty ? "" : "?" + request.rawQuery)
        return [
            "headers": .object(headers), "time": .string(HTTPDate.format(issued / 1000)),
            "address": .string(AddressLimits.address(of: request) ?? ""), "xdomain": .bool(request.headers["origin"] != nil),
            "secure": .bool(request.isSecure), "issued": .int(issued), "url": .string(url), "query": .object(query), "auth": auth ?? [:],
        ]
    }

    /// What connection state recovery keeps of the socket.
    func state(pid: String) -> SocketState {
        var rooms = self.rooms
        rooms.remove(id)
        return SocketState(id: id, pid: pid, namespace: namespace.name, rooms: rooms, data: data, credentials: storedCredentials)
    }

    /// Saves the state of a connected socket, when the store keeps those.
    func saveConnectedState() {
        guard isConnected, let pid, let store = server.stateStore, store.keepsConnectedStates else { return }
        store.save(state(pid: pid), connected: true)
    }

    /// The socket as ``BroadcastOperator/fetchSockets()`` describes it.
    public var remote: RemoteSocket {
        // Instrumented for the admin UI, `data` carries `_admin` (its connection and transport) to other servers.
        let shown = server.instrumentation == nil ? data : AdminInstrumentation.withAdminFields(data, of: self)
        return RemoteSocket(id: id, namespace: namespace, handshake: handshakeDescription, rooms: rooms, data: shown)
    }

    /// The handshake request of the underlying connection.
    public var handshake: Request { connection.engine.request }
    /// The Engine.IO session id of the connection.
    public var connectionID: String { connection.engine.id }
    /// The transport in use.
    public var transport: EngineTransport { connection.engine.transport }
    /// The server.
    public var server: SocketIOServer { namespace.server }

    // MARK: Emitting

    /// Emits an event to this connection.
    ///
    /// ```swift
    /// socket.emit("welcome", "hello", ["n": 1])
    /// ```
    public func emit(_ event: String, _ args: JSONValue...) {
        emit(event, arguments: args)
    }

    /// Emits an event to this connection.
    public func emit(_ event: String, arguments: [JSONValue]) {
        sendPacket(SocketIOPacket(type: .event, namespace: namespace.name, data: .array([.string(event)] + arguments)))
    }

    /// Emits an event and waits for the client's ack, at most `timeout` milliseconds.
    ///
    /// ```swift
    /// socket.emit("question", arguments: ["ready?"], timeout: 5000) { result in
    ///     if case .success(let answer) = result { print(answer) }
    /// }
    /// ```
    public func emit(_ event: String, arguments: [JSONValue], timeout: UInt64?,
                     ack: @escaping @LoopActor (Result<[JSONValue], AckError>) -> Void) {
        emitPacket(SocketIOPacket(type: .event, namespace: namespace.name, data: .array([.string(event)] + arguments)),
                   timeout: timeout, ack: ack)
    }

    /// Emits an event and returns the client's ack.
    public func emitWithAck(_ event: String, arguments: [JSONValue], timeout: UInt64 = 10_000) async throws(AckError) -> [JSONValue] {
        let result: Result<[JSONValue], AckError> = await withCheckedContinuation { continuation in
            emit(event, arguments: arguments, timeout: timeout) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    func emitPacket(_ packet: SocketIOPacket, timeout: UInt64?, ack: @escaping @LoopActor (Result<[JSONValue], AckError>) -> Void) {
        guard isConnected || connecting else { return ack(.failure(.disconnected)) }
        if pendingAcks.count >= server.options.maxPendingAcks, let oldest = pendingAcks.keys.min() {
            failAck(oldest, .tooManyPending)
        }
        let ackID = nextAckID
        nextAckID = nextAckID == Int(Int32.max) ? 0 : nextAckID + 1
        var deadline: UInt64?
        if let timeout {
            let due = EventLoop.shared.nowMilliseconds + timeout
            deadline = due
            ackDeadlines.include(due)
        }
        pendingAcks[ackID] = PendingAck(callback: ack, deadline: deadline)
        var packet = packet
        packet.id = ackID
        sendPacket(packet)
    }

    /// The ack timeouts on the engine's deadline queue (made on the first ack with a timeout).
    var ackDeadline: AckDeadline?

    private var ackDeadlines: AckDeadline {
        if let ackDeadline { return ackDeadline }
        let made = AckDeadline(queue: server.engine.deadlines) { [weak self] now in self?.expireAcks(now: now) }
        ackDeadline = made
        return made
    }

    /// Fails the acks due at `now`, earliest deadline first; returns the next deadline, if any.
    private func expireAcks(now: UInt64) -> UInt64? {
        let due = pendingAcks.compactMap { id, ack in ack.deadline.flatMap { $0 <= now ? (id, $0) : nil } }
        for (ackID, _) in due.sorted(by: { ($0.1, $0.0) < ($1.1, $1.0) }) { failAck(ackID, .timeout) }
        return pendingAcks.values.compactMap(\.deadline).min()
    }

    func failAck(_ ackID: Int, _ error: AckError) {
        guard let pending = pendingAcks.removeValue(forKey: ackID) else { return }
        if error == .timeout { namespace.counters.value.ackTimeouts += 1 }
        if pendingAcks.isEmpty { ackDeadline?.cancel() }
        pending.callback(.failure(error))
    }

    /// Sends to everyone in the namespace except this socket.
    public var broadcast: BroadcastOperator {
        BroadcastOperator(namespace: namespace, target: BroadcastTarget(except: [id]))
    }

    /// Sends to a room, except this socket.
    public func to(_ room: String) -> BroadcastOperator { broadcast.to(room) }

    /// Sends to rooms, except this socket.
    public func to(_ rooms: [String]) -> BroadcastOperator { broadcast.to(rooms) }

    /// Sends to everyone except this socket and the members of `room`.
    public func except(_ room: String) -> BroadcastOperator { broadcast.except(room) }

    func sendPacket(_ packet: SocketIOPacket) {
        deliver(OutboundMessage(packet, parser: server.options.parser), packet: packet)
    }

    /// Hands an encoded packet to the connection (held back while the socket is connecting).
    func deliver(_ message: borrowing OutboundMessage, packet: borrowing SocketIOPacket, volatile: Bool = false) {
        if connecting {
            if volatile { return }
            buffered.append((copy message, copy packet))
            return
        }
        guard isConnected else { return }
        namespace.counters.value.packetsSent &+= 1
        if namespace.hasOutgoingHooks { namespace.notifyOutgoing(self, packet) }
        let droppable = packet.type == .event || packet.type == .binaryEvent
        // Captured unretained: the closure runs, if at all, during the call (a retain and a
        // release per recipient of a broadcast otherwise).
        let dropped = withEngine { engine in
            engine.send(message, droppable: droppable, volatile: volatile) { [unretained = UnretainedReference(self)] in
                unretained.with { $0.namespace.overflowAction(for: $0) }
            }
        }
        if let dropped, dropped > 0 {
            droppedMessages += dropped
            namespace.reportDropped(self, dropped)
        }
    }

    /// Emits to this client only if its transport can write at once; otherwise the event
    /// is dropped (socket.io's `socket.volatile.emit`).
    ///
    /// ```swift
    /// socket.volatile.emit("cursor", ["x": 10, "y": 20])
    /// ```
    public var volatile: VolatileEmitter { VolatileEmitter(socket: self) }
}
