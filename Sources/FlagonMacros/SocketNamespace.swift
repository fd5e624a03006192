import FlagonSocketIO

/// Generates the registration table of a controller class from its `on_<event>` methods.
///
/// Attach it to a `final class` that inherits from ``NamespaceController``. Every method
/// named `on_<name>` (other than the lifecycle methods `on_connect`, `on_disconnect`,
/// `on_unhandled` and `on_error`) handles the event `<name>`; ``Event(_:)`` on a method
/// names its event explicitly. The macro writes what you would otherwise write by hand:
///
/// - `static let events = EventTable<Class> { ... }`, one entry per method;
/// - `enum Event: String, ControllerEvent`, one case per event, so that
///   `allow(.open)` and `deny(.open)` are checked by the compiler;
/// - `override class var initialACL` when `initialACL:` is given (every name must be
///   one of the class's events, or the build fails).
///
/// Parameters must conform to ``EventArgument`` (Int, Double, Bool, String, UInt8,
/// arrays, `[String: T]` dictionaries, optionals, `JSONValue`, `JSONObject`, `[UInt8]`
/// for binary data, `Decodable` types that declare the conformance, and
/// `CustomEventArgument` types); any number of
/// them, sync or async, throwing or not. The return type must conform to
/// ``AckConvertible`` (or be `Void`): it becomes the ack.
///
/// ```swift
/// @SocketNamespace(initialACL: ["login"])
/// final class Vault: NamespaceController {
///     func on_login(_ password: String) -> Bool {
///         guard password == "letmein" else { return false }
///         allow(.open)
///         return true
///     }
///     func on_open() -> String { "opened" }
///     @Event("chat message") func on_chat(_ text: String) {}
/// }
/// ```
@attached(member, names: named(Event), named(events), named(initialACL))
public macro SocketNamespace(initialACL: [String]? = nil) =
    #externalMacro(module: "FlagonMacrosPlugin", type: "SocketNamespaceMacro")

/// Names the event a controller method handles, for names that are not identifiers
/// (`@Event("chat message") func on_chat(...)`). See ``SocketNamespace(initialACL:)``.
@attached(peer)
public macro Event(_ name: String) = #externalMacro(module: "FlagonMacrosPlugin", type: "EventNameMacro")
