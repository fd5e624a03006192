import FlagonJSON
import FlagonLoop

/// The error events Flagon sends a client about its own events, all of one shape:
/// `{"error": <kind>, "event": <event>, "message": <text>}`, sent as the event `<kind>` and,
/// when the client asked for an ack, as the ack's only argument (gevent-socketio's
/// `method_access_denied`).
struct EventErrorReply {
    /// What went wrong.
    enum Kind: String {
        /// The controller's access list denies the event.
        case accessDenied = "method_access_denied"
        /// The arguments do not fit the handler's parameters.
        case invalidArguments = "invalid_arguments"
        /// Nothing handles the event (sent only as the ack).
        case unknownEvent = "unknown_event"
        /// The client sent the event too often.
        case rateLimited = "rate_limited"
        /// The socket's credentials lack the scope the event requires.
        case scopeRequired = "scope_required"
    }

    let kind: Kind
    let event: String
    let message: String

    static func accessDenied(_ event: String) -> EventErrorReply {
        EventErrorReply(kind: .accessDenied, event: event, message: "You do not have access to method \"\(event)\"")
    }

    static func invalidArguments(_ event: String, _ error: EventArgumentError) -> EventErrorReply {
        EventErrorReply(kind: .invalidArguments, event: event, message: "Invalid arguments for \"\(event)\": \(error.message)")
    }

    static func unknownEvent(_ event: String) -> EventErrorReply {
        EventErrorReply(kind: .unknownEvent, event: event, message: "No handler for event \"\(event)\"")
    }

    static func scopeRequired(_ event: String, _ scope: String) -> EventErrorReply {
        EventErrorReply(kind: .scopeRequired, event: event, message: "\"\(event)\" requires the scope \"\(scope)\"")
    }

    static func rateLimited(_ event: String) -> EventErrorReply {
        EventErrorReply(kind: .rateLimited, event: event, message: "Too many \"\(event)\" events: slow down")
    }

    /// The payload.
    var value: JSONValue {
        ["error": .string(kind.rawValue), "event": .string(event), "message": .string(message)]
    }

    /// Whether the reply is also emitted as an event (an unknown event is only answered as an ack).
    var isEmitted: Bool { kind != .unknownEvent }

    /// Tells the client.
    @LoopActor
    func send(to socket: Socket, ackID: Int?) {
        socket.namespace.counters.value.refusedEvents[kind.rawValue, default: 0] += 1
        let value = self.value
        if isEmitted { socket.emit(kind.rawValue, value) }
        if let ackID { socket.sendAck(ackID, [value]) }
    }
}
