import FlagonJSON
import FlagonLoop
import FlagonSocketIOCore

/// A class-based namespace: Flagon creates one instance per connected socket (as
/// gevent-socketio's `BaseNamespace`), so an instance holds that client's state. Its
/// `on_<event>` methods are found through the class's ``EventTable``, which the
/// `@SocketNamespace` macro (module FlagonMacros) generates.
///
/// Access control (gevent-socketio's ACL): `initialACL` lists the events a new socket may
/// send (`nil`: all). ``NamespaceControllerBase/liftACL()``, `allow(...)`, `deny(...)` and
/// ``NamespaceControllerBase/resetACL()`` change it at run time. A denied event never
/// reaches the method; the client gets the event `method_access_denied` with
/// `{"error","event","message"}`, and the same object as the ack when it asked for one.
/// Connect and disconnect are never blocked.
///
/// ```swift
/// @SocketNamespace(initialACL: ["login"])
/// final class Account: NamespaceController {
///     func on_login(_ user: String, _ password: String) -> Bool {
///         guard password == "letmein" else { return false }
///         session["user"] = .string(user)
///         allow(.balance)
///         return true
///     }
///     func on_balance() -> Int { 42 }
/// }
/// sio.register(Account.self, namespace: "/account")
/// ```
public typealias NamespaceController = NamespaceControllerBase & EventTableProvider

/// The class every controller inherits (through ``NamespaceController``): the socket, the
/// lifecycle methods to override, the access list and conveniences.
@LoopActor
open class NamespaceControllerBase {
    /// The socket this instance serves.
    public let socket: Socket
    private var allowed: Set<String>? {
        _read { yield access.value.allowed }
        _modify { yield &access.value.allowed }
    }
    private var denied: Set<String> {
        _read { yield access.value.denied }
        _modify { yield &access.value.denied }
    }
    /// The access list, read per event from a cell: no dynamic exclusivity check. Sound
    /// because the sets are read or changed in one statement that calls no app code.
    private let access: LoopConfinedCell<(allowed: Set<String>?, denied: Set<String>)>
    /// The events of the class's table, to catch ACL calls that name no event.
    var knownEvents: Set<String> = []

    /// Creates the instance of a newly connecting socket.
    public required init(socket: Socket) {
        self.socket = socket
        access = LoopConfinedCell.holding((allowed: Self.initialACL, denied: []))
    }

    // MARK: Lifecycle (override these)

    /// The events a new socket may send; `nil` (the default) allows everything.
    /// `@SocketNamespace(initialACL:)` writes it.
    open class var initialACL: Set<String>? { nil }

    /// The scope each event requires of the socket's credentials (event name → scope;
    /// ``Socket/grantCredentials(_:)``): an event whose scope the socket's credentials lack
    /// never reaches its method, and the client gets `scope_required` (as the ACL's refusals
    /// go). Read once, when the class is registered.
    ///
    /// ```swift
    /// @SocketNamespace
    /// final class Board: NamespaceController {
    ///     override class var requiredScopes: [String: String] { ["erase": "board:admin"] }
    ///     func on_erase() -> Bool { true }
    /// }
    /// ```
    open class var requiredScopes: [String: String] { [:] }

    /// Called before the connection is accepted, with the auth payload; throw
    /// ``ConnectionRefused`` to refuse.
    open func on_connect(auth: JSONValue?) async throws {}

    /// Called once when the socket has left, with the reason.
    open func on_disconnect(reason: DisconnectReason) {}

    /// Called for events with no method. Return the ack, or `nil` for "unknown event"
    /// (logged, and answered with an error when the client asked for an ack).
    open func on_unhandled(event: String, arguments: [JSONValue]) async throws -> [JSONValue]? { nil }

    /// Called when a method throws; return a value to send as the ack. The default passes
    /// the error to the server's ``SocketIOServer/onErrorDefault`` handler, or logs it.
    open func on_error(_ error: any Error, event: String) -> JSONValue? {
        if let handler = socket.server.onErrorDefault { return handler(socket, event, error) }
        socket.server.options.logger.error("\(type(of: self)).\(event) failed: \(String(describing: error))")
        return nil
    }

    // MARK: Access control

    /// Allows every event (gevent-socketio's `lift_acl_restrictions`).
    public func liftACL() {
        allowed = nil
        denied = []
    }

    /// Allows events by name (prefer the generated `allow(.name)`, which the compiler checks).
    public func allow(_ events: String...) { allow(names: events) }

    /// Denies events by name (prefer the generated `deny(.name)`).
    public func deny(_ events: String...) { deny(names: events) }

    /// Goes back to the class's `initialACL`.
    public func resetACL() {
        allowed = Self.initialACL
        denied = []
    }

    /// Whether an event may run now.
    public func isAllowed(_ event: String) -> Bool {
        if let allowed, !allowed.contains(event) { return false }
        return denied.isEmpty || !denied.contains(event)
    }

    /// `true` while some events are restricted.
    public var isRestricted: Bool { allowed != nil || !denied.isEmpty }

    func allow(names: [String]) {
        for event in names {
            warnIfUnknown(event, "allow")
            denied.remove(event)
            allowed?.insert(event)
        }
    }

    func deny(names: [String]) {
        for event in names {
            warnIfUnknown(event, "deny")
            allowed?.remove(event)
            denied.insert(event)
        }
    }

    private func warnIfUnknown(_ event: String, _ call: String) {
        guard !knownEvents.isEmpty, !knownEvents.contains(event) else { return }
        socket.server.options.logger.warning("\(type(of: self)).\(call)(\"\(event)\"): the class has no such event")
    }

    // MARK: Conveniences

    /// The socket's session values.
    public var session: JSONObject {
        get { socket.session }
        set { socket.session = newValue }
    }

    /// Emits an event to this client.
    public func emit(_ event: String, _ args: JSONValue...) { socket.emit(event, arguments: args) }

    /// Starts work owned by this instance: it is cancelled when the socket disconnects.
    public func spawn(_ operation: @escaping @LoopActor @Sendable () async -> Void) { socket.startTask(operation) }
}

/// What makes a ``NamespaceControllerBase`` subclass a controller: its registration table
/// and its `Event` enum. `@SocketNamespace` writes both; see ``NamespaceController``.
@LoopActor
public protocol EventTableProvider: NamespaceControllerBase {
    /// The names `allow(.x)`, `deny(.x)` and `isAllowed(.x)` take.
    associatedtype Event: ControllerEvent = NoEvents
    /// The events the class handles and the methods that handle them.
    static var events: EventTable<Self> { get }
}

extension EventTableProvider {
    /// Allows events (gevent-socketio's `add_acl_method`).
    public func allow(_ events: Event...) { allow(names: events.map(\.name)) }

    /// Denies events (gevent-socketio's `del_acl_method`).
    public func deny(_ events: Event...) { deny(names: events.map(\.name)) }

    /// Whether an event may run now.
    public func isAllowed(_ event: Event) -> Bool { isAllowed(event.name) }
}

/// The type-erased table a namespace keeps for its controller class (a class: read per event,
/// it must not be copied with its references).
@LoopActor
final class ControllerBinding {
    let make: @LoopActor (Socket) -> NamespaceControllerBase
    let entries: [String: EventBody<NamespaceControllerBase>]
    let rateLimits: [String: RateLimit]
    let events: Set<String>
    let className: String
    let initialACL: Set<String>?
    let requiredScopes: [String: String]

    init<C: NamespaceController>(_ type: C.Type) {
        let table = C.events
        let events = table.events
        self.events = events
        className = String(describing: C.self)
        initialACL = C.initialACL
        requiredScopes = C.requiredScopes
        rateLimits = table.rateLimits
        make = { socket in
            let controller = C(socket: socket)
            controller.knownEvents = events
            return controller
        }
        entries = table.entries.mapValues { body in
            switch body {
            case .sync(let body): .sync { controller, args, socket, ackID in try body((controller as! C), args, socket, ackID) }
            case .async(let body): .async { controller, args, socket, ackID in try await body((controller as! C), args, socket, ackID) }
            }
        }
    }

    /// Why the class cannot serve, or `nil`: an `initialACL` naming an event it does not have.
    var configurationError: String? {
        guard let initialACL else { return nil }
        let unknown = initialACL.subtracting(events).sorted()
        guard !unknown.isEmpty else { return nil }
        let known = events.isEmpty ? "it has none" : "its events: " + events.sorted().joined(separator: ", ")
        return "\(className).initialACL names \(unknown.map { "\"\($0)\"" }.joined(separator: ", ")), "
            + "which \(unknown.count == 1 ? "is not an event" : "are not events") of the class (\(known))"
    }
}
