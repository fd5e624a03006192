import FlagonLoop

/// The sockets of one connection, at most one per namespace: a short array searched by
/// namespace name. A client uses one or a few namespaces; a dictionary would cost more to
/// keep per idle connection and to hash per message.
@LoopActor
struct ConnectionSockets {
    private var items: ContiguousArray<Socket> = []

    /// The socket of the namespace named `name`.
    subscript(name: String) -> Socket? {
        get {
            for socket in items where socket.namespace.name == name { return socket }
            return nil
        }
        set {
            items.removeAll { $0.namespace.name == name }
            if let newValue { items.append(newValue) }
        }
    }

    /// Every socket.
    var all: ContiguousArray<Socket> { items }

    /// Forgets every socket.
    mutating func removeAll() { items = [] }
}
