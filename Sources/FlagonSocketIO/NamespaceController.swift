import FlagonJSON
import FlagonLoop
import FlagonSocketIOCore

/// A class-based namespace: Flagon creates one instance per connected socket (as
/// gevent-socketio's `BaseNamespace`), so an instance holds that client's state. Its
/// `on_<event>` methods are found through the class's ``EventTable`` (see ``EventController``).
///
/// Access control (gevent-socketio's ACL): ``initialACL`` lists the events a new socket may
/// send (`nil`: all). ``lift()``, ``allow(_:)``, ``deny(_:)`` and ``reset()`` change it at
/// run time. A denied event never reaches the method; the client gets the event
/// `method_access_denied` with `{"error","event","message"}`, and the same object as the
/// ack when it asked for one. Connect and disconnect are never blocked.
///
/// ```swift
/// final class Account: NamespaceController, EventController {
///     override class var initialACL: Set<String>? { ["login"] }
///     static let events = EventTable<Account> { t in
///         t.on("login", Account.on_login)
///         t.on("balance", Account.on_balance)
///     }
///     func on_login(_ user: String, _ password: String) -> Bool {
///         guard password == "letmein" else { return false }
///         session["user"] = .string(user)
///         allow("balance")
///         return true
///     }
///     func on_balance() -> Int { 42 }
/// }
/// sio.register(Account.self, namespace: "/account")
/// ```
@LoopActor
open class NamespaceController {
    /// The socket this instance serves.
    public let socket: Socket
    private var allowed: Set<String>?
    private var denied: Set<String> = []

    /// Creates the instance of a newly connecting socket.
    public required init(socket: Socket) {
        self.socket = socket
        self.allowed = Self.initialACL
    }

    // MARK: Lifecycle (override these)

    /// The events a new socket may send; `nil` (the default) allows everything.
    open class var initialACL: Set<String>? { nil }

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

    /// Allows every event.
    public func lift() {
        allowed = nil
        denied = []
    }

    /// Allows an event.
    public func allow(_ event: String) {
        denied.remove(event)
        allowed?.insert(event)
    }

    /// Denies an event.
    public func deny(_ event: String) {
        allowed?.remove(event)
        denied.insert(event)
    }

    /// Goes back to ``initialACL``.
    public func reset() {
        allowed = Self.initialACL
        denied = []
    }

    /// Whether an event may run.
    public func isAllowed(_ event: String) -> Bool {
        !denied.contains(event) && (allowed?.contains(event) ?? true)
    }

    /// `true` while some events are restricted.
    public var isRestricted: Bool { allowed != nil || !denied.isEmpty }

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

/// A controller class with its registration table.
@LoopActor
public protocol EventController: NamespaceController {
    /// The events the class handles and the methods that handle them.
    static var events: EventTable<Self> { get }
}

/// The type-erased table a namespace keeps for its controller class.
@LoopActor
struct ControllerBinding {
    let make: @LoopActor (Socket) -> NamespaceController
    let syncEntry: @LoopActor (String) -> (@LoopActor (NamespaceController, [JSONValue]) throws -> [JSONValue])?
    let asyncEntry: @LoopActor (String) -> (@LoopActor (NamespaceController, [JSONValue]) async throws -> [JSONValue])?
    let rateLimits: [String: RateLimit]

    init<C: EventController>(_ type: C.Type) {
        make = { C(socket: $0) }
        let table = C.events
        rateLimits = table.rateLimits
        syncEntry = { event in
            guard case .sync(let body)? = table.entries[event] else { return nil }
            return { controller, args in try body(controller as! C, args) }
        }
        asyncEntry = { event in
            guard case .async(let body)? = table.entries[event] else { return nil }
            return { controller, args in try await body(controller as! C, args) }
        }
    }
}
