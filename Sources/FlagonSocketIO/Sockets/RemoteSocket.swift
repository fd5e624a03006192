import FlagonJSON
import FlagonLoop

/// A socket as ``BroadcastOperator/fetchSockets()`` describes it: on this server or on
/// another one of the cluster. Its operations go through the adapter, so they reach the
/// socket wherever it is.
///
/// ```swift
/// for socket in await sio.of("/chat").to("lobby").fetchSockets() {
///     print(socket.id, socket.rooms, socket.data)
///     socket.emit("hello", "from \(serverID)")
/// }
/// ```
@LoopActor
public struct RemoteSocket {
    /// The socket's id.
    public let id: String
    /// The namespace it is connected to.
    public let namespace: Namespace
    /// Its handshake as socket.io describes it: `headers`, `time`, `address`, `xdomain`,
    /// `secure`, `issued`, `url`, `query`, `auth`.
    public let handshake: JSONValue
    /// Its rooms (its own id included).
    public let rooms: Set<String>
    /// Its ``Socket/data``.
    public let data: JSONValue

    /// A description.
    public init(id: String, namespace: Namespace, handshake: JSONValue, rooms: Set<String>, data: JSONValue) {
        self.id = id
        self.namespace = namespace
        self.handshake = handshake
        self.rooms = rooms
        self.data = data
    }

    /// Reads a description in socket.io's JSON form (`{id, handshake, rooms, data}`).
    public init?(json: JSONValue, namespace: Namespace) {
        guard let id = json["id"]?.stringValue else { return nil }
        var rooms: Set<String> = []
        if case .array(let items)? = json["rooms"] {
            for item in items { if let room = item.stringValue { rooms.insert(room) } }
        }
        self.init(id: id, namespace: namespace, handshake: json["handshake"] ?? .null, rooms: rooms, data: json["data"] ?? .null)
    }

    /// The description in socket.io's JSON form.
    public var json: JSONValue {
        ["id": .string(id), "handshake": handshake, "rooms": .array(rooms.sorted().map(JSONValue.string)), "data": data]
    }

    private var only: BroadcastOperator { namespace.to(id) }

    /// Emits an event to the socket.
    public func emit(_ event: String, _ args: JSONValue...) { only.emit(event, arguments: args) }

    /// Emits an event to the socket.
    public func emit(_ event: String, arguments: [JSONValue]) { only.emit(event, arguments: arguments) }

    /// Makes the socket join a room.
    public func join(_ room: String) { only.socketsJoin(room) }

    /// Makes the socket leave a room.
    public func leave(_ room: String) { only.socketsLeave(room) }

    /// Disconnects the socket (and its connection, when `close`).
    public func disconnect(close: Bool = false) { only.disconnectSockets(close: close) }
}
