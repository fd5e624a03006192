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

    init(name: String, server: SocketIOServer) {
        self.name = name
        self.server = server
    }

    func installAdapter(_ adapter: any SocketIOAdapter) {
        self.adapter = adapter
    }

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
        client.socketJoined(socket)
        if connectorsAreSync {
            do {
                for case .sync(let handler) in connectors + connectHandlers { try handler(socket, auth) }
                accept(socket)
            } catch {
                reject(socket, error)
            }
            return
        }
        let steps = connectors + connectHandlers
        Task {
            do {
                for step in steps {
                    guard client.engine.isOpen else { return }
                    switch step {
                    case .sync(let handler): try handler(socket, auth)
                    case .async(let handler): try await handler(socket, auth)
                    }
                }
                self.accept(socket)
            } catch {
                self.reject(socket, error)
            }
        }
    }

    private func accept(_ socket: Socket) {
        guard socket.client.engine.isOpen else { return }
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
        if notify { for handler in disconnectHandlers { handler(socket, reason) } }
    }

    func dispatch(event: String, args: [JSONValue], ackID: Int?, socket: Socket) {
        for hook in incomingHooks { hook(socket, event, args) }
        var handler = handlers[event]
        var handlerArgs = args
        if handler == nil, let fallback {
            handler = fallback
            handlerArgs = [.string(event)] + args
        }
        guard let handler else {
            server.options.logger.debug("no handler for event \(event) in \(name)")
            return
        }
        switch handler {
        case .sync(let body):
            do {
                let result = try body(socket, handlerArgs)
                if let ackID { socket.sendAck(ackID, result) }
            } catch {
                report(error, event: event, socket: socket)
            }
        case .async(let body):
            let arguments = handlerArgs
            Task {
                do {
                    let result = try await body(socket, arguments)
                    if let ackID { socket.sendAck(ackID, result) }
                } catch {
                    self.report(error, event: event, socket: socket)
                }
            }
        }
    }

    private func report(_ error: any Error, event: String, socket: Socket) {
        if let errorHandler {
            errorHandler(socket, event, error)
        } else {
            server.options.logger.error("handler of \(event) in \(name) failed: \(String(describing: error))")
        }
    }

    func notifyOutgoing(_ socket: Socket, _ packet: SocketIOPacket) {
        guard !outgoingHooks.isEmpty, let event = packet.eventName else { return }
        for hook in outgoingHooks { hook(socket, event, packet.arguments) }
    }
}
