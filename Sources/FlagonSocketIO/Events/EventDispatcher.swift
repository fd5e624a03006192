import FlagonJSON
import FlagonLoop

/// Delivers a namespace's incoming events: rate limit, hooks, access list, then the
/// closure handler, the controller's method or the fallback; sends the ack or the error
/// reply. Owned by its ``Namespace``.
@LoopActor
final class EventDispatcher {
    // The namespace owns its dispatcher: it is alive whenever the dispatcher runs. A checked
    // reference: skipping the check saved nothing measurable (docs/hot-path.md).
    unowned let namespace: Namespace
    var handlers: [String: EventBody<Socket>] {
        _read { yield hot.value.handlers }
        _modify {
            yield &hot.value.handlers
            hot.value.lastLookup = nil
        }
    }
    var controllerBinding: ControllerBinding? {
        get { hot.value.controllerBinding }
        set {
            hot.value.controllerBinding = newValue
            hot.value.lastLookup = nil
        }
    }

    /// The last event looked up and what handles it: most traffic repeats an event, and
    /// comparing a name costs less than hashing it. A class, so that a hit hands out one
    /// reference rather than copying the name and both handlers.
    private final class Lookup {
        let event: String
        /// The name's UTF-8, to compare a name still in a packet's bytes.
        let eventBytes: [UInt8]
        let handler: EventBody<Socket>?
        let method: EventBody<NamespaceControllerBase>?

        init(event: String, handler: EventBody<Socket>?, method: EventBody<NamespaceControllerBase>?) {
            self.event = event
            self.eventBytes = Array(event.utf8)
            self.handler = handler
            self.method = method
        }

        func isEvent(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            guard eventBytes.count == bytes.count else { return false }
            for index in 0..<bytes.count where eventBytes[index] != bytes[index] { return false }
            return true
        }
    }
    private var lastLookup: Lookup? {
        get { hot.value.lastLookup }
        set { hot.value.lastLookup = newValue }
    }

    /// The closure handler and the controller method registered for `event`.
    @inline(__always)
    private func lookup(_ event: String) -> Lookup {
        if let last = lastLookup, last.event == event { return last }
        let found = Lookup(event: event, handler: handlers[event], method: controllerBinding?.entries[event])
        lastLookup = found
        return found
    }
    var fallback: (@LoopActor (Socket, String, [JSONValue]) throws -> [JSONValue])?
    var incomingHooks: [@LoopActor (Socket, String, [JSONValue]) -> Void] {
        _read { yield hot.value.incomingHooks }
        _modify { yield &hot.value.incomingHooks }
    }
    var errorHandler: (@LoopActor (Socket, String, any Error) -> Void)?

    /// The state read per message, in a cell: no dynamic exclusivity check per access.
    /// Sound because no code that runs during an access reaches the cell again: the tables
    /// change only at set-up, the cached lookup is read or set in one statement, and a hook
    /// is called from a copy of the list, after the access that read it ended.
    private struct HotState {
        var handlers: [String: EventBody<Socket>] = [:]
        var controllerBinding: ControllerBinding?
        var lastLookup: Lookup?
        var incomingHooks: [@LoopActor (Socket, String, [JSONValue]) -> Void] = []
    }

    private let hot = LoopConfinedCell.holding(HotState())

    init(namespace: Namespace) {
        self.namespace = namespace
    }

    private var server: SocketIOServer { namespace.server }

    /// An event's handler, bound to its socket and arguments.
    private enum Invocation {
        case sync(@LoopActor () throws -> RawArguments?)
        case async(@LoopActor () async throws -> RawArguments?)
    }

    /// ``dispatch(event:raw:ackID:socket:)`` for a name still in the packet's bytes (checked
    /// as UTF-8): the name is made a string only when it is not the last one looked up.
    func dispatch(eventBytes: UnsafeBufferPointer<UInt8>, raw: RawArguments, ackID: Int?, socket: Socket) {
        let found = if let last = lastLookup, last.isEvent(eventBytes) { last } else {
            lookup(String(decoding: eventBytes, as: UTF8.self))
        }
        dispatch(found, raw: raw, ackID: ackID, socket: socket)
    }

    /// Delivers an event: rate limit, hooks (they get the parsed values), access list,
    /// then the handler. Arguments that came as text stay text up to the handler, which
    /// reads its parameters from it; text a handler returns goes back in the ack as it is.
    func dispatch(event: String, raw: RawArguments, ackID: Int?, socket: Socket) {
        dispatch(lookup(event), raw: raw, ackID: ackID, socket: socket)
    }

    /// Delivers an event whose name has been looked up.
    private func dispatch(_ found: Lookup, raw: RawArguments, ackID: Int?, socket: Socket) {
        let event = found.event
        if let limiter = socket.limiter, !limiter.allow(event, now: EventLoop.shared.nowMilliseconds) {
            refuseOverLimit(event, socket: socket, ackID: ackID, violations: limiter.violations)
            return
        }
        if !incomingHooks.isEmpty {
            let values = raw.values
            for hook in incomingHooks { hook(socket, event, values) }
            return invoke(lookup(event), raw: raw, ackID: ackID, socket: socket)   // a hook may have registered a handler
        }
        invoke(found, raw: raw, ackID: ackID, socket: socket)
    }

    /// Runs what handles an event (looked up): the access list, then the handler.
    private func invoke(_ found: Lookup, raw: RawArguments, ackID: Int?, socket: Socket) {
        let event = found.event
        // The common case first: a synchronous closure handler, no ACL, no shared session.
        if socket.controller == nil && socket.sharedSessionID == nil, case .sync(let body)? = found.handler {
            complete(event: event, ackID: ackID, socket: socket) { () throws -> RawArguments? in try body(socket, raw, socket, ackID) }
            return
        }
        if let controller = socket.controller {
            guard controller.isAllowed(event) else {
                EventErrorReply.accessDenied(event).send(to: socket, ackID: ackID)
                return
            }
            if let scopes = controllerBinding?.requiredScopes, !scopes.isEmpty, let scope = scopes[event], !socket.hasScope(scope) {
                EventErrorReply.scopeRequired(event, scope).send(to: socket, ackID: ackID)
                return
            }
            // A synchronous method of the controller, without a shared session: no task, no closure.
            if socket.sharedSessionID == nil, found.handler == nil, case .sync(let body)? = found.method {
                complete(event: event, ackID: ackID, socket: socket) { () throws -> RawArguments? in try body(controller, raw, socket, ackID) }
                return
            }
        }
        guard let invocation = resolve(event: event, raw: raw, ackID: ackID, socket: socket, found: found) else { return }
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
            complete(event: event, ackID: ackID, socket: socket) { () throws -> RawArguments? in try body() }
        case .async:
            Task { await self.run(invocation, event: event, ackID: ackID, socket: socket) }
        }
    }

    private func run(_ invocation: Invocation, event: String, ackID: Int?, socket: Socket) async {
        switch invocation {
        case .sync(let body):
            complete(event: event, ackID: ackID, socket: socket) { () throws -> RawArguments? in try body() }
        case .async(let body):
            do {
                let result = try await body()
                if let ackID, let result { socket.sendAck(ackID, result) }
            } catch {
                failed(error, event: event, ackID: ackID, socket: socket)
            }
        }
    }

    private func complete(event: String, ackID: Int?, socket: Socket, _ body: () throws -> RawArguments?) {
        do {
            let result = try body()
            if let ackID, let result { socket.sendAck(ackID, result) }
        } catch {
            failed(error, event: event, ackID: ackID, socket: socket)
        }
    }

    /// Finds what handles an event (looked up already): a closure, the controller's method,
    /// or a fallback.
    private func resolve(event: String, raw: RawArguments, ackID: Int?, socket: Socket, found: Lookup) -> Invocation? {
        switch found.handler {
        case .sync(let body)?: return .sync { try body(socket, raw, socket, ackID) }
        case .async(let body)?: return .async { try await body(socket, raw, socket, ackID) }
        case nil: break
        }
        if let controller = socket.controller, controllerBinding != nil {
            switch found.method {
            case .sync(let body)?: return .sync { try body(controller, raw, socket, ackID) }
            case .async(let body)?: return .async { try await body(controller, raw, socket, ackID) }
            case nil: break
            }
            return .async { [namespace] in
                if let answer = try await controller.on_unhandled(event: event, arguments: raw.values) { return RawArguments(answer) }
                namespace.server.options.logger.info("no method for event \(event) in \(namespace.name)")
                throw UnknownEvent()
            }
        }
        if let fallback { return .sync { RawArguments(try fallback(socket, event, raw.values)) } }
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
