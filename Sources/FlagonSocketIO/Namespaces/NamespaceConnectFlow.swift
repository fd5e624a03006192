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
        var recovering: (pid: String, offset: String)?
        if server.options.connectionStateRecovery != nil {
            socket.pid = EngineSession.makeID()
            if let pid = auth?["pid"]?.stringValue, let offset = auth?["offset"]?.stringValue { recovering = (pid, offset) }
        }
        if recovering == nil && connectorsAreSync && server.sessions == nil {
            do {
                for case .sync(let handler) in connectors { try handler(socket, auth) }
                for case .sync(let handler) in connectHandlers { try handler(socket, auth) }
                accept(socket)
            } catch {
                reject(socket, error)
            }
            return
        }
        let binding = controllerBinding
        Task {
            var missed: [SocketIOPacket] = []
            if let recovering, let store = self.server.stateStore,
               let restored = await store.restore(pid: recovering.pid, offset: recovering.offset, namespace: self.name),
               self.sockets[restored.state.id] == nil {
                socket.id = restored.state.id
                socket.pid = restored.state.pid
                socket.data = restored.state.data
                socket.storedCredentials = restored.state.credentials
                socket.recovered = true
                missed = restored.missedPackets
                // Back in its rooms before the connect handlers run (they may look).
                self.adapter.join(socket.id, rooms: restored.state.rooms)
            }
            defer {
                // Refused or gone before it was accepted: out of the rooms it was restored to.
                if socket.recovered && self.sockets[socket.id] !== socket { self.adapter.leaveAll(socket.id) }
            }
            if recovering != nil {
                if socket.recovered { self.counters.value.recoveries += 1 } else { self.counters.value.recoveryMisses += 1 }
            }
            let skipMiddleware = socket.recovered && self.server.options.connectionStateRecovery?.skipMiddlewares == true
            let steps = skipMiddleware ? self.connectHandlers : self.connectors + self.connectHandlers
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
                self.accept(socket, missed: missed)
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

    /// Registers the socket in the namespace and its own room, answers the CONNECT, then
    /// sends what a recovered socket missed.
    private func accept(_ socket: Socket, missed: [SocketIOPacket] = []) {
        // A socket that left while its connect handlers ran (its client sent DISCONNECT)
        // must not be registered: nothing would ever remove it.
        guard socket.connection.engine.isOpen, socket.connecting else { return }
        sockets[socket.id] = socket
        adapter.join(socket.id, rooms: [socket.id])
        socket.connection.socketConnected(socket)
        // Recovered credentials keep their expiry (a connect handler may have granted new ones).
        if socket.storedCredentials != nil && socket.credentialsTimer == nil { socket.scheduleCredentialsTimer(warned: false) }
        socket.didConnect(missed: missed)
        if let key = socket.storedPresenceKey, let presence { for room in socket.presenceRooms { presence.add(key, to: room) } }
        socket.saveConnectedState()
        server.instrumentation?.socketConnected(socket)
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
        if notify { counters.value.disconnects[reason.rawValue, default: 0] += 1 }
        let admin = notify ? server.instrumentation : nil
        let rooms = admin?.reportsSockets == true ? adapter.rooms(of: socket.id).union([socket.id]) : []
        // Only a socket that was connected was counted present.
        let present = socket.storedPresenceKey == nil || !notify ? [] : socket.presenceRooms
        adapter.leaveAll(socket.id)
        if let key = socket.storedPresenceKey { for room in present { presence?.remove(key, from: room) } }
        admin?.socketDisconnected(socket, reason: reason, rooms: rooms)
        if notify {
            socket.controller?.on_disconnect(reason: reason)
            for handler in disconnectHandlers { handler(socket, reason) }
        }
        if sockets.isEmpty && parent != nil { server.removeEmptyChild(self) }
    }

    /// The buckets of a new socket, or `nil` when no limit applies here.
    private func makeRateLimiter() -> EventRateLimiter? {
        let limit = rateLimit ?? server.options.rateLimit
        let controllerLimits = controllerBinding?.rateLimits
        if limit == nil && eventRateLimits.isEmpty && controllerLimits?.isEmpty != false { return nil }
        var events = controllerLimits ?? [:]
        events.merge(eventRateLimits) { _, own in own }
        return EventRateLimiter(limit: limit, eventLimits: events, now: EventLoop.shared.nowMilliseconds)
    }
}
