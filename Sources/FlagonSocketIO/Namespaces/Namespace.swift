import Flagon
import FlagonJSON
import FlagonLoop
import FlagonSocketIOCore
import Logging

/// A Socket.IO namespace: its connect rules, event handlers, sockets and rooms.
///
/// ```swift
/// let chat = sio.of("/chat")
/// chat.use { socket, auth in
///     guard auth?["token"]?.stringValue != nil else { throw ConnectionRefused("unauthorized") }
/// }
/// chat.onConnect { socket, _ in socket.join("lobby") }
/// chat.on("say") { socket, args in
///     socket.to("lobby").emit("said", arguments: args)
///     return [true]
/// }
/// ```
@LoopActor
public final class Namespace {
    /// A synchronous event handler: gets the arguments, returns the ack's arguments.
    public typealias EventHandler = @LoopActor (Socket, [JSONValue]) throws -> [JSONValue]
    /// An asynchronous event handler.
    public typealias AsyncEventHandler = @LoopActor @Sendable (Socket, [JSONValue]) async throws -> [JSONValue]
    /// A connect handler or middleware: throw ``ConnectionRefused`` to refuse.
    public typealias ConnectHandler = @LoopActor (Socket, JSONValue?) throws -> Void
    /// An asynchronous connect handler or middleware.
    public typealias AsyncConnectHandler = @LoopActor @Sendable (Socket, JSONValue?) async throws -> Void

    enum Connector {
        case sync(ConnectHandler)
        case async(AsyncConnectHandler)
    }

    /// The name, such as `/chat`.
    public let name: String
    /// The name's UTF-8 bytes, compared with a packet's namespace without making a string.
    let nameUTF8: [UInt8]
    /// The server. It owns its namespaces; a namespace kept after its server is gone stops
    /// the program with a clear message when this is read (a checked `unowned`), never
    /// reads freed memory.
    public var server: SocketIOServer { owner }
    private unowned let owner: SocketIOServer
    /// The connected sockets, by id.
    public internal(set) var sockets: [String: Socket] = [:]
    /// The adapter that keeps rooms and carries broadcasts.
    public private(set) var adapter: (any SocketIOAdapter)!

    /// Where incoming events go.
    private(set) lazy var dispatcher = EventDispatcher(namespace: self)
    var connectors: [Connector] = []
    var connectHandlers: [Connector] = []
    var disconnectHandlers: [@LoopActor (Socket, DisconnectReason) -> Void] = []
    /// Hooks on every packet sent, read per message from a cell: no dynamic exclusivity
    /// check. Sound because the list changes only at set-up, and a hook is called from a
    /// copy of it, after the access that read it ended.
    private let outgoingHookList = LoopConfinedCell.holding([@LoopActor (Socket, String, [JSONValue]) -> Void]())
    private var outgoingHooks: [@LoopActor (Socket, String, [JSONValue]) -> Void] {
        _read { yield outgoingHookList.value }
        _modify { yield &outgoingHookList.value }
    }
    var connectorsAreSync = true
    var eventRateLimits: [String: RateLimit] = [:]
    var serverSideHandlers: [String: ServerSideHandler] = [:]
    /// The counters, changed in place per message with no dynamic exclusivity check
    /// (``LoopConfinedCell``: each change is one statement that calls nothing out).
    let counters = LoopConfinedCell.holding(NamespaceStatistics())
    /// Counters since the namespace was declared (``SocketIOServer/writeMetrics(into:)``).
    public var statistics: NamespaceStatistics { counters.value }

    /// What a full outbound queue does here; `nil` uses the server's
    /// ``SocketIOOptions/slowConsumerPolicy``.
    public var slowConsumerPolicy: SlowConsumerPolicy?
    /// The event a socket gets shortly before its credentials expire (``Socket/grantCredentials(_:)``).
    public var credentialsExpiringEvent = "credentials_expiring"
    /// Who is in each room, once ``trackPresence(event:)`` was called.
    public internal(set) var presence: PresenceTracker?
    /// Rooms' recent messages, once ``keepHistory(_:store:)`` was called.
    public internal(set) var history: RoomHistory?
    /// The event a socket gets when its credentials expired, just before it is disconnected.
    public var credentialsExpiredEvent = "credentials_expired"
    private var dropHandlers: [@LoopActor (Socket, Int) -> Void] = []

    /// Called when events to a slow client were dropped, with how many.
    public func onDrop(_ handler: @escaping @LoopActor (Socket, Int) -> Void) { dropHandlers.append(handler) }

    /// What to do with a message that does not fit in `socket`'s queue.
    func overflowAction(for socket: Socket) -> OverflowAction {
        switch slowConsumerPolicy ?? server.options.slowConsumerPolicy {
        case .disconnect: .disconnect
        case .dropOldest: .dropOldest
        case .dropNewest: .dropNewest
        case .decide(let decide): decide(socket)
        }
    }

    func reportDropped(_ socket: Socket, _ count: Int) {
        counters.value.droppedMessages += count
        for handler in dropHandlers { handler(socket, count) }
    }

    /// Every socket of the namespace, with events dropped where the transport cannot
    /// write at once (socket.io's `volatile`).
    public var volatile: BroadcastOperator { all.volatile }

    /// How often each socket may send events here; `nil` uses the server's
    /// ``SocketIOOptions/rateLimit``.
    public var rateLimit: RateLimit?

    /// Limits how often one socket may send `event` (on top of the namespace's limit).
    public func rateLimit(event: String, _ limit: RateLimit) { eventRateLimits[event] = limit }

    /// The parent namespace this one was created from (``SocketIOServer/of(matching:)``).
    public internal(set) weak var parent: Namespace?
    /// For a parent namespace: what names it creates children for.
    var childMatcher: NamespaceMatcher?
    /// For a parent namespace: its children, by name.
    public internal(set) var children: [String: Namespace] = [:]
    /// `true` for a namespace declared with a pattern or a function (it has children, no sockets).
    public var isParent: Bool { childMatcher != nil }

    init(name: String, server: SocketIOServer) {
        self.name = name
        nameUTF8 = Array(name.utf8)
        self.owner = server
    }

    /// Takes the declarations of a parent: middleware, handlers, hooks, limits and the
    /// controller class (as socket.io copies them when it creates a child).
    func inherit(from parent: Namespace) {
        self.parent = parent
        connectors = parent.connectors
        connectHandlers = parent.connectHandlers
        disconnectHandlers = parent.disconnectHandlers
        outgoingHooks = parent.outgoingHooks
        connectorsAreSync = parent.connectorsAreSync
        eventRateLimits = parent.eventRateLimits
        serverSideHandlers = parent.serverSideHandlers
        slowConsumerPolicy = parent.slowConsumerPolicy
        dropHandlers = parent.dropHandlers
        rateLimit = parent.rateLimit
        dispatcher.handlers = parent.dispatcher.handlers
        dispatcher.fallback = parent.dispatcher.fallback
        dispatcher.incomingHooks = parent.dispatcher.incomingHooks
        dispatcher.errorHandler = parent.dispatcher.errorHandler
        dispatcher.controllerBinding = parent.dispatcher.controllerBinding
    }

    func installAdapter(_ adapter: any SocketIOAdapter) {
        self.adapter = adapter
    }

    func setController(_ binding: ControllerBinding) {
        dispatcher.controllerBinding = binding
        connectorsAreSync = false
    }

    var controllerBinding: ControllerBinding? { dispatcher.controllerBinding }

    // MARK: Declaring

    /// Handles an event with the raw arguments; the returned array is the ack's arguments
    /// (when the client asked for one).
    public func on(_ event: String, _ handler: @escaping EventHandler) {
        dispatcher.handlers[event] = .sync { socket, raw, _, _ in RawArguments(try handler(socket, raw.values)) }
    }

    /// Handles an event asynchronously with the raw arguments; events of one client may then
    /// complete out of order.
    public func on(_ event: String, _ handler: @escaping AsyncEventHandler) {
        dispatcher.handlers[event] = .async { socket, raw, _, _ in RawArguments(try await handler(socket, raw.values)) }
    }

    /// Handles an event with typed parameters, decoded as a controller method's are
    /// (``EventArgument``); the result is the ack (``AckConvertible``).
    ///
    /// ```swift
    /// sio.of("/math").on("add") { (socket: Socket, a: Int, b: Int) -> Int in a + b }
    /// ```
    @inlinable
    public func on<each A: EventArgument, R: AckConvertible>(
        _ event: String, _ handler: @escaping @LoopActor (Socket, repeat each A) throws -> R
    ) {
        let signature = ArgumentSignature(repeat (each A).self)
        setHandler(event, .sync { socket, raw, sender, ackID in
            let values = try signature.decode(raw, as: repeat (each A).self)
            return try handler(socket, repeat each values).ackArguments(to: sender, ackID: ackID)
        })
    }

    /// Handles an event with typed parameters and no ack value.
    ///
    /// ```swift
    /// sio.on("say") { (socket: Socket, text: String) in socket.broadcast.emit("said", .string(text)) }
    /// ```
    @inlinable
    public func on<each A: EventArgument>(_ event: String, _ handler: @escaping @LoopActor (Socket, repeat each A) throws -> Void) {
        let signature = ArgumentSignature(repeat (each A).self)
        setHandler(event, .sync { socket, raw, _, _ in
            let values = try signature.decode(raw, as: repeat (each A).self)
            try handler(socket, repeat each values)
            return RawArguments([])
        })
    }

    /// Handles an event asynchronously with typed parameters; the result is the ack.
    @inlinable
    public func on<each A: EventArgument, R: AckConvertible>(
        _ event: String, _ handler: @escaping @LoopActor @Sendable (Socket, repeat each A) async throws -> R
    ) {
        let signature = ArgumentSignature(repeat (each A).self)
        setHandler(event, .async { socket, raw, sender, ackID in
            let values = try signature.decode(raw, as: repeat (each A).self)
            return try await handler(socket, repeat each values).ackArguments(to: sender, ackID: ackID)
        })
    }

    /// Handles an event asynchronously with typed parameters and no ack value.
    @inlinable
    public func on<each A: EventArgument>(
        _ event: String, _ handler: @escaping @LoopActor @Sendable (Socket, repeat each A) async throws -> Void
    ) {
        let signature = ArgumentSignature(repeat (each A).self)
        setHandler(event, .async { socket, raw, _, _ in
            let values = try signature.decode(raw, as: repeat (each A).self)
            try await handler(socket, repeat each values)
            return RawArguments([])
        })
    }

    /// Registers the erased handler of `event` (the typed `on` forms build it where they are
    /// called, specialized for their parameter types).
    @usableFromInline
    func setHandler(_ event: String, _ body: EventBody<Socket>) {
        dispatcher.handlers[event] = body
    }

    /// Handles events that have no handler of their own.
    public func onUnhandled(_ handler: @escaping @LoopActor (Socket, String, [JSONValue]) throws -> [JSONValue]) {
        dispatcher.fallback = handler
    }

    /// Removes the handler of an event.
    public func off(_ event: String) {
        dispatcher.handlers[event] = nil
    }

    /// Adds connect middleware, run in order before the connect handlers.
    public func use(_ middleware: @escaping ConnectHandler) { connectors.append(.sync(middleware)) }

    /// Adds asynchronous connect middleware.
    public func use(_ middleware: @escaping AsyncConnectHandler) {
        connectors.append(.async(middleware))
        connectorsAreSync = false
    }

    /// Adds a connect handler; it receives the auth payload and may refuse.
    public func onConnect(_ handler: @escaping ConnectHandler) { connectHandlers.append(.sync(handler)) }

    /// Adds an asynchronous connect handler.
    public func onConnect(_ handler: @escaping AsyncConnectHandler) {
        connectHandlers.append(.async(handler))
        connectorsAreSync = false
    }

    /// Adds a disconnect handler.
    public func onDisconnect(_ handler: @escaping @LoopActor (Socket, DisconnectReason) -> Void) {
        disconnectHandlers.append(handler)
    }

    /// Sees every incoming event before its handler.
    public func onAnyIncoming(_ hook: @escaping @LoopActor (Socket, String, [JSONValue]) -> Void) {
        dispatcher.incomingHooks.append(hook)
    }

    /// Sees every event sent to a socket of the namespace.
    public func onAnyOutgoing(_ hook: @escaping @LoopActor (Socket, String, [JSONValue]) -> Void) {
        outgoingHooks.append(hook)
    }

    /// Handles errors thrown by event handlers (the default logs them).
    public func onError(_ handler: @escaping @LoopActor (Socket, String, any Error) -> Void) {
        dispatcher.errorHandler = handler
    }

    // MARK: Emitting

    /// Every socket of the namespace.
    public var all: BroadcastOperator { BroadcastOperator(namespace: self, target: BroadcastTarget()) }

    /// Emits to every socket of the namespace.
    public func emit(_ event: String, _ args: JSONValue...) { all.emit(event, arguments: args) }

    /// Emits to every socket of the namespace.
    @discardableResult
    public func emit(_ event: String, arguments: [JSONValue]) -> Int { all.emit(event, arguments: arguments) }

    /// Targets a room.
    public func to(_ room: String) -> BroadcastOperator { all.to(room) }

    /// Targets rooms.
    public func to(_ rooms: [String]) -> BroadcastOperator { all.to(rooms) }

    /// Excludes a room.
    public func except(_ room: String) -> BroadcastOperator { all.except(room) }

    /// Every socket of the namespace on this server only, even with a cluster adapter.
    public var local: BroadcastOperator { all.local }

    /// Describes every socket of the namespace, on every server.
    public func fetchSockets() async -> [RemoteSocket] { await all.fetchSockets() }

    /// Makes every socket of the namespace, on every server, join a room.
    public func socketsJoin(_ room: String) { all.socketsJoin(room) }

    /// Makes every socket of the namespace, on every server, leave a room.
    public func socketsLeave(_ room: String) { all.socketsLeave(room) }

    /// Disconnects every socket of the namespace, on every server.
    public func disconnectSockets(close: Bool = false) { all.disconnectSockets(close: close) }

    /// Closes a room: its members leave it.
    public func closeRoom(_ room: String) { all.to(room).socketsLeave(room) }

    /// `true` when outgoing hooks are registered (checked before building their arguments).
    var hasOutgoingHooks: Bool { !outgoingHooks.isEmpty }

    func notifyOutgoing(_ socket: Socket, _ packet: SocketIOPacket) {
        guard !outgoingHooks.isEmpty, let event = packet.eventName else { return }
        for hook in outgoingHooks { hook(socket, event, packet.arguments) }
    }
}
