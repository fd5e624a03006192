import FlagonJSON
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What development mode tells the admin UI about sockets, each event with the time it
/// happened last (an ISO 8601 string, as `JSON.stringify(new Date())` writes it):
///
/// ```
/// socket_connected     (socket, time)              socket_updated  ({id, nsp, transport | data})
/// socket_disconnected  (nsp, id, reason, time)     room_joined     (nsp, room, id, time)
/// event_received       (nsp, id, [event, ...args], time)           room_left (nsp, room, id, time)
/// event_sent           (nsp, id, [event, ...args], time)
/// ```
///
/// A socket is described as `{id, clientId, transport, nsp, data, handshake: {address,
/// headers, query, issued, secure, time, url, xdomain}, rooms}`.
extension AdminInstrumentation {
    /// Starts reporting a namespace's events (every namespace but the admin one itself).
    func watch(_ watched: Namespace) {
        guard reportsSockets, watched !== namespace else { return }
        // The hooks live in the namespace: they name it through the socket, never capture it.
        watched.onAnyIncoming { [unowned self] socket, event, args in
            tell("event_received", [.string(socket.namespace.name), .string(socket.id), .array([.string(event)] + args)])
        }
        watched.onAnyOutgoing { [unowned self] socket, event, args in
            tell("event_sent", [.string(socket.namespace.name), .string(socket.id), .array([.string(event)] + args)])
        }
    }

    func socketConnected(_ socket: Socket) {
        guard reportsSockets else { return }
        tell("room_joined", [.string(socket.namespace.name), .string(socket.id), .string(socket.id)])
        tell("socket_connected", [Self.describe(socket.remote)])
    }

    func socketDisconnected(_ socket: Socket, reason: DisconnectReason, rooms: Set<String>) {
        guard reportsSockets else { return }
        let name = JSONValue.string(socket.namespace.name)
        tell("socket_disconnected", [name, .string(socket.id), .string(reason.rawValue)])
        for room in Self.ordered(rooms, ownID: socket.id) { tell("room_left", [name, .string(room), .string(socket.id)]) }
    }

    func roomJoined(_ socket: Socket, _ room: String) {
        guard reportsSockets else { return }
        tell("room_joined", [.string(socket.namespace.name), .string(room), .string(socket.id)])
    }

    func roomLeft(_ socket: Socket, _ room: String) {
        guard reportsSockets else { return }
        tell("room_left", [.string(socket.namespace.name), .string(room), .string(socket.id)])
    }

    func transportChanged(_ socket: Socket) {
        guard reportsSockets else { return }
        let update: JSONObject = ["id": .string(socket.id), "nsp": .string(socket.namespace.name), "transport": .string(socket.transport.rawValue)]
        namespaceEmit("socket_updated", [.object(update)])
    }

    func dataChanged(_ socket: Socket) {
        guard reportsSockets else { return }
        let update: JSONObject = ["id": .string(socket.id), "nsp": .string(socket.namespace.name), "data": Self.userData(socket.data)]
        namespaceEmit("socket_updated", [.object(update)])
    }

    /// Emits to the UI with the time appended.
    private func tell(_ event: String, _ args: [JSONValue]) {
        guard isHeard else { return }
        namespaceEmit(event, args + [.string(Self.timestamp(WallClock.milliseconds))])
    }

    private func namespaceEmit(_ event: String, _ args: [JSONValue]) {
        guard isHeard else { return }
        namespace.emit(event, arguments: args)
    }

    /// `false` when no UI can hear: nobody in the admin namespace here and no other server
    /// (with a cluster adapter, a UI on another server may listen).
    private var isHeard: Bool { !namespace.sockets.isEmpty || !(namespace.adapter is InMemoryAdapter) }

    /// What a socket adds to its ``Socket/data`` for the UI (and for other servers'
    /// `fetchSockets`), under `_admin`, as the admin UI's Node server keeps it.
    static func withAdminFields(_ data: JSONValue, of socket: Socket) -> JSONValue {
        let admin: JSONValue = ["clientId": .string(String(socket.connectionID.prefix(12))), "transport": .string(socket.transport.rawValue)]
        switch data {
        case .null:
            return ["_admin": admin]
        case .object(var object):
            object["_admin"] = admin
            return .object(object)
        default:
            return data
        }
    }

    /// `data` without the `_admin` fields (an empty object when the socket has none).
    nonisolated static func userData(_ data: JSONValue) -> JSONValue {
        guard case .object(var object) = data else { return data == .null ? [:] : data }
        object["_admin"] = nil
        return .object(object)
    }

    /// A socket as the UI lists it, from its description (local or from another server).
    static func describe(_ socket: RemoteSocket) -> JSONValue {
        let admin = socket.data["_admin"]
        let shake = socket.handshake
        // The handshake's address: the peer's, or the client that a trusted proxy names
        // (ServerOptions.trustedProxies). Node's admin-ui reads X-Forwarded-For and
        // CF-Connecting-IP from anyone, which any client can spoof.
        var handshake: JSONObject = ["address": shake["address"] ?? ""]
        for field in ["headers", "query", "issued", "secure", "time", "url", "xdomain"] { handshake[field] = shake[field] ?? .null }
        var described: JSONObject = ["id": .string(socket.id)]
        if let clientId = admin?["clientId"] { described["clientId"] = clientId }
        if let transport = admin?["transport"] { described["transport"] = transport }
        described["nsp"] = .string(socket.namespace.name)
        described["data"] = userData(socket.data)
        described["handshake"] = .object(handshake)
        described["rooms"] = .array(ordered(socket.rooms, ownID: socket.id).map(JSONValue.string))
        return .object(described)
    }

    /// A socket's rooms in the order socket.io lists them: its own first.
    nonisolated static func ordered(_ rooms: Set<String>, ownID: String) -> [String] {
        (rooms.contains(ownID) ? [ownID] : []) + rooms.filter { $0 != ownID }.sorted()
    }

    /// `2026-11-30T19:20:00.123Z`, as `JSON.stringify(new Date())` writes a date.
    nonisolated static func timestamp(_ milliseconds: Int) -> String {
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(milliseconds % 1000), 3))Z"
    }
}
