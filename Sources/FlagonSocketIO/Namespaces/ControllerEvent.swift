/// An event of a controller class, as named in its generated `Event` enum, so that
/// `allow(.open)` is checked by the compiler. `@SocketNamespace` generates the enum; a
/// hand-written one is `enum Event: String, ControllerEvent { case open, close }`.
public protocol ControllerEvent: Hashable, Sendable {
    /// The event's name on the wire.
    var name: String { get }
}

extension ControllerEvent where Self: RawRepresentable, RawValue == String {
    public var name: String { rawValue }
}

/// The `Event` type of a controller that declares none.
public enum NoEvents: ControllerEvent {
    public var name: String { switch self {} }
}
