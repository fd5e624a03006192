import FlagonJSON
import FlagonLoop

/// The connect flow of a namespace: a CONNECT creates a socket, runs the middleware and
/// connect handlers (and the controller's `on_connect`), then accepts or refuses it; the
/// socket leaves through ``remove(_:reason:notify:)``.
extension Namespace {
    func connect(connection: SocketIOConnection, auth: JSONValue?) {
        let socket = Socket(namespace: self, connection: connection, auth: auth)
        socket.limiter = makeRateLimiter()
        connection.socketJoined(socket)
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
                    guard connection.engine.isOpen else { return }
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
                guard connection.engine.isOpen else { return }
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
        guard socket.connection.engine.isOpen, socket.connecting else { return }
        sockets[socket.id] = socket
        adapter.join(socket.id, rooms: [socket.id])
        socket.connection.socketConnected(socket)
        socket.didConnect()
    }

    private func reject(_ socket: Socket, _ error: any Error) {
        let refusal = (error as? ConnectionRefused) ?? {
            server.options.logger.error("connect handler of \(name) failed: \(String(describing: error))")
            return ConnectionRefused("Internal server error")
        }()
        socket.refuse(refusal)
        socket.connection.socketLeft(socket)
    }

    func remove(_ socket: Socket, reason: DisconnectReason, notify: Bool) {
        sockets[socket.id] = nil
        adapter.leaveAll(socket.id)
        if notify {
            socket.controller?.on_disconnect(reason: reason)
            for handler in disconnectHandlers { handler(socket, reason) }
        }
    }

    /// The buckets of a new socket, or `nil` when no limit applies here.
    private func makeRateLimiter() -> EventRateLimiter? {
        let limit = rateLimit ?? server.options.rateLimit
        var events = controllerBinding?.rateLimits ?? [:]
        events.merge(eventRateLimits) { _, own in own }
        if limit == nil && events.isEmpty { return nil }
        return EventRateLimiter(limit: limit, eventLimits: events, now: EventLoop.shared.nowMilliseconds)
    }
}
