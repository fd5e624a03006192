import FlagonLoop

/// The sockets of one connection, at most one per namespace: the first kept inline (most
/// clients use one namespace, and then nothing is allocated), the others in a short array
/// searched by namespace name. A dictionary would cost more to keep per idle connection and
/// to hash per message; the array stays short because a connection joins at most
/// ``SocketIOOptions/maxNamespacesPerConnection`` namespaces, so a lookup compares at most
/// that many names.
@LoopActor
struct ConnectionSockets {
    private var first: Socket?
    private var others: ContiguousArray<Socket> = []
    /// Names compared by lookups so far (for tests that count work).
    private(set) var comparisons = 0

    /// How many sockets.
    var count: Int { first == nil ? others.count : others.count + 1 }

    /// The socket of the namespace named `name`.
    subscript(name: String) -> Socket? {
        mutating get {
            // Strings compared, not `name.withUTF8 { socket(named: $0) }`: a closure handed to
            // the standard library is checked for isolation on every call (the root namespace's
            // lookup is per message).
            comparisons &+= 1
            if let first, first.namespace.name == name { return first }
            for socket in others {
                comparisons &+= 1
                if socket.namespace.name == name { return socket }
            }
            return nil
        }
        set {
            if let current = first, current.namespace.name == name {
                // The next oldest moves up: `all` keeps the order of joining.
                first = others.isEmpty ? nil : others.removeFirst()
            } else if let index = index(in: others, of: name) {
                others.remove(at: index)
            }
            guard let newValue else { return }
            if first == nil { first = newValue } else { others.append(newValue) }
        }
    }

    /// The socket of the namespace whose name is spelled by `bytes` (a packet's namespace, as
    /// it came): compared byte for byte, with no string made.
    mutating func socket(named bytes: UnsafeBufferPointer<UInt8>) -> Socket? {
        comparisons &+= 1
        if let first, Self.spells(first.namespace.nameUTF8, bytes) { return first }
        for socket in others {
            comparisons &+= 1
            if Self.spells(socket.namespace.nameUTF8, bytes) { return socket }
        }
        return nil
    }

    private static func spells(_ name: [UInt8], _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard name.count == bytes.count else { return false }
        return name.withRawBytes { raw in
            var index = 0
            while index < bytes.count && raw[index] == bytes[index] { index += 1 }
            return index == bytes.count
        }
    }

    /// A plain loop rather than `firstIndex(where:)`: a closure handed to the standard
    /// library from loop-isolated code is checked for isolation on every call.
    private func index(in sockets: ContiguousArray<Socket>, of name: String) -> Int? {
        for index in sockets.indices where sockets[index].namespace.name == name { return index }
        return nil
    }

    /// Every socket.
    var all: ContiguousArray<Socket> {
        guard let first else { return others }
        return [first] + others
    }

    /// Forgets every socket.
    mutating func removeAll() {
        first = nil
        others = []
    }
}
