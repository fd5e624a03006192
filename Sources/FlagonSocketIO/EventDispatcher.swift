import FlagonJSON
import FlagonLoop

/// Delivers a namespace's incoming events: rate limit, hooks, access list, then the
/// closure handler, the controller's method or the fallback; sends the ack or the error
/// reply. Owned by its ``Namespace``.
@LoopActor
final class EventDispatcher {
    // Properties marked @exclusivity(unchecked) are loop-confined and used per message:
    // they skip Swift's dynamic exclusivity check.
    // The namespace owns its dispatcher: it is alive whenever the dispatcher runs.
    unowned(unsafe) let namespace: Namespace
    @exclusivity(unchecked) var handlers: [String: EventBody<Socket>] = [:]
    /// The closure handlers that take only ``RawArguments``, as they run on unparsed arguments.
    @exclusivity(unchecked) var forwarders: [String: ForwardingBody<Socket>] = [:]
    var fallback: (@LoopActor (Socket, String, [JSONValue]) throws -> [JSONValue])?
    @exclusivity(unchecked) var incomingHooks: [@LoopActor (Socket, String, [JSONValue]) -> Void] = []
    var errorHandler: (@LoopActor (Socket, String, any Error) -> Void)?
    @exclusivity(unchecked) var controllerBinding: ControllerBinding?

    init(namespace: Namespace) {
        self.namespace = namespace
    }

    private var server: SocketIOServer { namespace.server }

    /// An event's handler, bound to its socket and arguments.
    private enum Invocation {
        case sync(@LoopActor () throws -> [JSONValue])
        case async(@LoopActor () async throws -> [JSONValue])
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
        if let controller = socket.controller {
            guard controller.isAllowed(event) else {
                EventErrorReply.accessDenied(event).send(to: socket, ackID: ackID)
                return
            }
            // A synchronous method of the controller, without a shared session: no task, no closure.
            if socket.sharedSessionID == nil, handlers.isEmpty || handlers[event] == nil,
               case .sync(let body)? = controllerBinding?.entries[event] {
                complete(event: event, ackID: ackID, socket: socket) { () throws -> [JSONValue] in try body(controller, args) }
                return
            }
        }
        guard let invocation = resolve(event: event, args: args, socket: socket) else { return }
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

    /// What runs an event whose arguments stay unparsed: a closure or a controller's method.
    enum Forwarder {
        case closure(ForwardingBody<Socket>)
        case method(ForwardingBody<NamespaceControllerBase>, NamespaceControllerBase)
    }

    /// The handler of `event` on `socket` when it takes its arguments unparsed (so the
    /// connection may skip building them), or `nil`. Shared sessions take the long way.
    func forwarder(for event: String, socket: Socket) -> Forwarder? {
        guard socket.sharedSessionID == nil else { return nil }
        guard let controller = socket.controller else { return forwarders[event].map(Forwarder.closure) }
        guard handlers.isEmpty || handlers[event] == nil, let body = controllerBinding?.forwarders[event] else { return nil }
        return .method(body, controller)
    }

    /// Delivers an event whose arguments are still the JSON text the client sent (checked
    /// already): rate limit, hooks (they get the parsed values), access list, then the
    /// handler; its unchanged arguments go back in the ack as the same text.
    func dispatch(event: String, raw: RawArguments, ackID: Int?, socket: Socket, to forwarder: Forwarder) {
        if let limiter = socket.limiter, !limiter.allow(event, now: EventLoop.shared.nowMilliseconds) {
            refuseOverLimit(event, socket: socket, ackID: ackID, violations: limiter.violations)
            return
        }
        if !incomingHooks.isEmpty {
            let values = raw.values
            for hook in incomingHooks { hook(socket, event, values) }
        }
        do {
            let result: RawArguments
            switch forwarder {
            case .closure(let body):
                result = try body(socket, raw)
            case .method(let body, let controller):
                guard controller.isAllowed(event) else {
                    EventErrorReply.accessDenied(event).send(to: socket, ackID: ackID)
                    return
                }
                result = try body(controller, raw)
            }
            if let ackID { socket.sendAck(ackID, result) }
        } catch {
            failed(error, event: event, ackID: ackID, socket: socket)
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
    private func resolve(event: String, args: [JSONValue], socket: Socket) -> Invocation? {
        switch handlers[event] {
        case .sync(let body)?: return .sync { try body(socket, args) }
        case .async(let body)?: return .async { try await body(socket, args) }
        case nil: break
        }
        if let controller = socket.controller, let binding = controllerBinding {
            switch binding.entries[event] {
            case .sync(let body)?: return .sync { try body(controller, args) }
            case .async(let body)?: return .async { try await body(controller, args) }
            case nil: break
            }
            return .async { [namespace] in
                if let answer = try await controller.on_unhandled(event: event, arguments: args) { return answer }
                namespace.server.options.logger.info("no method for event \(event) in \(namespace.name)")
                throw UnknownEvent()
            }
        }
        if let fallback { return .sync { try fallback(socket, event, args) } }
        server.options.logger.debug("no handler for event \(event) in \(namespace.name)")
        return nil
    }

    private struct UnknownEvent: Error {}

    /// Answers an event over its rate limit; disconnects after ``SocketIOOptions/maxRateViolations``.
    private func refuseOverLimit(_ event: String, socket: Socket, ackID: Int?, violations: Int) {
        EventErrorReply.rateLimited(event).send(to: socket, ackID: ackID)
        if let most = server.options.maxRateViolations, violations >= most {
            server.options.logger.info("disconnecting \(socket.id) from \(namespace.name): \(violations) events over the rate limit")
            socket.disconnect(reason: .rateLimited)
        }
    }

    private func failed(_ error: any Error, event: String, ackID: Int?, socket: Socket) {
        if let argumentError = error as? EventArgumentError {
            EventErrorReply.invalidArguments(event, argumentError).send(to: socket, ackID: ackID)
        } else if error is UnknownEvent {
            EventErrorReply.unknownEvent(event).send(to: socket, ackID: ackID)
        } else if let controller = socket.controller {
            if let answer = controller.on_error(error, event: event), let ackID { socket.sendAck(ackID, [answer]) }
        } else if let errorHandler {
            errorHandler(socket, event, error)
        } else {
            server.options.logger.error("handler of \(event) in \(namespace.name) failed: \(String(describing: error))")
        }
    }
}
