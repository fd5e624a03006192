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

    enum Handler {
        case sync(EventHandler)
        case async(AsyncEventHandler)
    }

    enum Connector {
        case sync(ConnectHandler)
        case async(AsyncConnectHandler)
    }

    /// The name, such as `/chat`.
    public let name: String
    /// The server.
    public unowned let server: SocketIOServer
    /// The connected sockets, by id.
    public private(set) var sockets: [String: Socket] = [:]
    /// The adapter that keeps rooms and carries broadcasts.
    public private(set) var adapter: (any SocketIOAdapter)!

    private var handlers: [String: Handler] = [:]
    private var fallback: Handler?
    private var connectors: [Connector] = []
    private var connectHandlers: [Connector] = []
    private var disconnectHandlers: [@LoopActor (Socket, DisconnectReason) -> Void] = []
    private var incomingHooks: [@LoopActor (Socket, String, [JSONValue]) -> Void] = []
    private var outgoingHooks: [@LoopActor (Socket, String, [JSONValue]) -> Void] = []
    private var errorHandler: (@LoopActor (Socket, String, any Error) -> Void)?
    private var connectorsAreSync = true
    private var controllerBinding: ControllerBinding?
    private var eventRateLimits: [String: RateLimit] = [:]

    /// What a full outbound queue does here; `nil` uses the server's
    /// ``SocketIOOptions/slowConsumerPolicy``.
    public var slowConsumerPolicy: SlowConsumerPolicy?
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

    init(name: String, server: SocketIOServer) {
        self.name = name
        self.server = server
    }

    func installAdapter(_ adapter: any SocketIOAdapter) {
        self.adapter = adapter
    }

    func setController(_ binding: ControllerBinding) {
        controllerBinding = binding
        connectorsAreSync = false
    }

    /// `true` when a controller class serves the namespace.
    public var hasController: Bool { controllerBinding != nil }

    // MARK: Declaring

    /// Handles an event synchronously; the returned array is the ack (when the client asked).
    public func on(_ event: String, _ handler: @escaping EventHandler) {
        handlers[event] = .sync(handler)
    }

    /// Handles an event asynchronously; events of one client may then complete out of order.
    public func on(_ event: String, _ handler: @escaping AsyncEventHandler) {
        handlers[event] = .async(handler)
    }

    /// Handles events that have no handler of their own (`args[0]` is not the name: see `event`).
    public func onUnhandled(_ handler: @escaping @LoopActor (Socket, String, [JSONValue]) throws -> [JSONValue]) {
        fallback = .sync { socket, args in
            try handler(socket, args.first?.stringValue ?? "", Array(args.dropFirst()))
        }
    }

    /// Removes the handler of an event.
    public func off(_ event: String) { handlers[event] = nil }

    /// `true` when the event has a handler.
    public func hasHandler(for event: String) -> Bool { handlers[event] != nil }

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
        incomingHooks.append(hook)
    }

    /// Sees every event sent to a socket of the namespace.
    public func onAnyOutgoing(_ hook: @escaping @LoopActor (Socket, String, [JSONValue]) -> Void) {
        outgoingHooks.append(hook)
    }

    /// Handles errors thrown by event handlers (the default logs them).
    public func onError(_ handler: @escaping @LoopActor (Socket, String, any Error) -> Void) {
        errorHandler = handler
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

    /// Closes a room: its members leave it.
    public func closeRoom(_ room: String) { all.to(room).socketsLeave(room) }

    // MARK: Connection flow

    func connect(client: SocketIOClient, auth: JSONValue?) {
        let socket = Socket(namespace: self, client: client, auth: auth)
        socket.limiter = makeRateLimiter()
        client.socketJoined(socket)
        if connectorsAreSync && server.sessions == nil {
            do {
                for case .sync(let handler) in connectors + connectHandlers { try handler(socket, auth) }
                accept(socket)
            } catch {
                reject(socket, error)
            }
            return
        }
        let steps = connectors + connectHandlers
        let binding = controllerBinding
        Task {
            do {
                try await self.loadHTTPSession(into: socket)
                for step in steps {
                    guard client.engine.isOpen else { return }
                    switch step {
                    case .sync(let handler): try handler(socket, auth)
                    case .async(let handler): try await handler(socket, auth)
                    }
                }
                if let binding {
                    let controller = binding.make(socket)
                    socket.controller = controller
                    try await controller.on_connect(auth: auth)
                }
                guard client.engine.isOpen else { return }
                self.accept(socket)
            } catch {
                socket.controller = nil
                self.reject(socket, error)
            }
        }
    }

    /// Gives the socket the HTTP session of its handshake: a copy (`manageSession`), or
    /// the shared server-side session.
    private func loadHTTPSession(into socket: Socket) async throws {
        guard let sessions = server.sessions else { return }
        let http = await sessions.loadSession(for: socket.handshake)
        socket.session = http.values
        if !server.manageSession { socket.sharedSessionID = http.id }
    }

    private func accept(_ socket: Socket) {
        // A socket that left while its connect handlers ran (its client sent DISCONNECT)
        // must not be registered: nothing would ever remove it.
        guard socket.client.engine.isOpen, socket.connecting else { return }
        sockets[socket.id] = socket
        adapter.join(socket.id, rooms: [socket.id])
        socket.client.socketConnected(socket)
        socket.didConnect()
    }

    private func reject(_ socket: Socket, _ error: any Error) {
        let refusal = (error as? ConnectionRefused) ?? {
            server.options.logger.error("connect handler of \(name) failed: \(String(describing: error))")
            return ConnectionRefused("Internal server error")
        }()
        socket.refuse(refusal)
        socket.client.socketLeft(socket)
    }

    func remove(_ socket: Socket, reason: DisconnectReason, notify: Bool) {
        sockets[socket.id] = nil
        adapter.leaveAll(socket.id)
        if notify {
            socket.controller?.on_disconnect(reason: reason)
            for handler in disconnectHandlers { handler(socket, reason) }
        }
    }

    /// A handler found for an event, ready to run.
    private enum Invocation {
        case sync(@LoopActor () throws -> [JSONValue])
        case async(@LoopActor () async throws -> [JSONValue])
    }

    /// The buckets of a new socket, or `nil` when no limit applies here.
    private func makeRateLimiter() -> EventRateLimiter? {
        let limit = rateLimit ?? server.options.rateLimit
        var events = controllerBinding?.rateLimits ?? [:]
        events.merge(eventRateLimits) { _, own in own }
        if limit == nil && events.isEmpty { return nil }
        return EventRateLimiter(limit: limit, eventLimits: events, now: EventLoop.shared.nowMilliseconds)
    }

    func dispatch(event: String, args: [JSONValue], ackID: Int?, socket: Socket) {
        if let limiter = socket.limiter, !limiter.allow(event, now: EventLoop.shared.nowMilliseconds) {
            refuseOverLimit(event, socket: socket, ackID: ackID, violations: limiter.violations)
            return
        }
        for hook in incomingHooks { hook(socket, event, args) }
        // The common case first: a synchronous closure handler, no ACL, no shared session.
        if socket.controller == nil && socket.sharedSessionID == nil, case .sync(let body)? = handlers[event] {
            complete(event: event, ackID: ackID, socket: socket) { () throws -> [JSONValue] in try body(socket, args) }
            return
        }
        if let controller = socket.controller, !controller.isAllowed(event) {
            deny(event, socket: socket, ackID: ackID)
            return
        }
        guard let invocation = resolve(event: event, args: args, ackID: ackID, socket: socket) else { return }
        if let sessionID = socket.sharedSessionID, let sessions = server.sessions {
            Task {
                socket.session = await sessions.storedValues(id: sessionID) ?? socket.session
                let before = socket.session
                await self.run(invocation, event: event, ackID: ackID, socket: socket)
                if socket.session != before { await sessions.storeValues(socket.session, id: sessionID) }
            }
            return
        }
        switch invocation {
        case .sync(let body):
            complete(event: event, ackID: ackID, socket: socket) { () throws -> [JSONValue] in try body() }
        case .async:
            Task { await self.run(invocation, event: event, ackID: ackID, socket: socket) }
        }
    }

    private func run(_ invocation: Invocation, event: String, ackID: Int?, socket: Socket) async {
        switch invocation {
        case .sync(let body):
            complete(event: event, ackID: ackID, socket: socket) { () throws -> [JSONValue] in try body() }
        case .async(let body):
            do {
                let result = try await body()
                if let ackID { socket.sendAck(ackID, result) }
            } catch {
                failed(error, event: event, ackID: ackID, socket: socket)
            }
        }
    }

    private func complete(event: String, ackID: Int?, socket: Socket, _ body: () throws -> [JSONValue]) {
        do {
            let result = try body()
            if let ackID { socket.sendAck(ackID, result) }
        } catch {
            failed(error, event: event, ackID: ackID, socket: socket)
        }
    }

    /// Finds what handles an event: a closure, the controller's method, or a fallback.
    private func resolve(event: String, args: [JSONValue], ackID: Int?, socket: Socket) -> Invocation? {
        switch handlers[event] {
        case .sync(let body)?: return .sync { try body(socket, args) }
        case .async(let body)?: return .async { try await body(socket, args) }
        case nil: break
        }
        if let controller = socket.controller, let binding = controllerBinding {
            if let body = binding.syncEntry(event) { return .sync { try body(controller, args) } }
            if let body = binding.asyncEntry(event) { return .async { try await body(controller, args) } }
            return .async { [self] in
                if let answer = try await controller.on_unhandled(event: event, arguments: args) { return answer }
                server.options.logger.info("no method for event \(event) in \(name)")
                throw UnknownEvent(event: event)
            }
        }
        switch fallback {
        case .sync(let body)?: return .sync { try body(socket, [.string(event)] + args) }
        case .async(let body)?: return .async { try await body(socket, [.string(event)] + args) }
        case nil:
            server.options.logger.debug("no handler for event \(event) in \(name)")
            return nil
        }
    }

    private struct UnknownEvent: Error {
        let event: String
    }

    /// Tells the client an event was denied: the event `method_access_denied`, and the
    /// same object as the ack when it asked for one.
    private func deny(_ event: String, socket: Socket, ackID: Int?) {
        refuse("method_access_denied", event: event, message: "You do not have access to method \"\(event)\"",
               socket: socket, ackID: ackID)
    }

    /// Tells the client an event went over its rate limit (the shape of `method_access_denied`);
    /// disconnects it after ``SocketIOOptions/maxRateViolations``.
    private func refuseOverLimit(_ event: String, socket: Socket, ackID: Int?, violations: Int) {
        refuse("rate_limited", event: event, message: "Too many \"\(event)\" events: slow down",
               socket: socket, ackID: ackID)
        if let most = server.options.maxRateViolations, violations >= most {
            server.options.logger.info("disconnecting \(socket.id) from \(name): \(violations) events over the rate limit")
            socket.disconnect(reason: .rateLimited)
        }
    }

    /// Sends `{"error","event","message"}` as the event `error`, and as the ack when asked.
    private func refuse(_ error: String, event: String, message: String, socket: Socket, ackID: Int?) {
        let reply: JSONValue = ["error": .string(error), "event": .string(event), "message": .string(message)]
        socket.emit(error, reply)
        if let ackID { socket.sendAck(ackID, [reply]) }
    }

    private func failed(_ error: any Error, event: String, ackID: Int?, socket: Socket) {
        if let argumentError = error as? EventArgumentError {
            let reply: JSONValue = [
                "error": "invalid_arguments", "event": .string(event),
                "message": .string("Invalid arguments for \"\(event)\": \(argumentError.message)"),
            ]
            socket.emit("invalid_arguments", reply)
            if let ackID { socket.sendAck(ackID, [reply]) }
            return
        }
        if let unknown = error as? UnknownEvent {
            if let ackID {
                socket.sendAck(ackID, [[
                    "error": "unknown_event", "event": .string(unknown.event),
                    "message": .string("No handler for event \"\(unknown.event)\""),
                ]])
            }
            return
        }
        if let controller = socket.controller {
            if let answer = controller.on_error(error, event: event), let ackID { socket.sendAck(ackID, [answer]) }
            return
        }
        report(error, event: event, socket: socket)
    }

    private func report(_ error: any Error, event: String, socket: Socket) {
        if let errorHandler {
            errorHandler(socket, event, error)
        } else {
            server.options.logger.error("handler of \(event) in \(name) failed: \(String(describing: error))")
        }
    }

    /// `true` when outgoing hooks are registered (checked before building their arguments).
    var hasOutgoingHooks: Bool { !outgoingHooks.isEmpty }

    func notifyOutgoing(_ socket: Socket, _ packet: SocketIOPacket) {
        guard !outgoingHooks.isEmpty, let event = packet.eventName else { return }
        for hook in outgoingHooks { hook(socket, event, packet.arguments) }
    }
}
