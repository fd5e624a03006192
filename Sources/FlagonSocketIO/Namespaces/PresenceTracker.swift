import FlagonJSON
import FlagonLoop

/// A user (a presence key) arriving in a room or leaving it, cluster-wide.
public struct PresenceChange: Sendable, Equatable {
    public var room: String
    public var key: String
    /// `true` for an arrival, `false` for a departure.
    public var joined: Bool
}

/// Who is in each room of a namespace, by presence key (``Socket/presenceKey``, such as the
/// user id): a key is present in a room while at least one of its sockets is in it, on any
/// server of the cluster. A user with several sockets arrives once and leaves when the last
/// one leaves, disconnects, or its server dies.
///
/// Kept up to date, never polled: each server counts its own sockets per room and key, and
/// tells the others when a key arrives in a room or leaves it on that server (through the
/// adapter's server-side events: workers, Redis, or nothing in one process). Each server
/// sends a heartbeat with its count of entries every ping interval; one not heard for two
/// ping intervals plus the ping timeout is taken as dead and its keys leave. A server that
/// counts a peer's entries differently (a message lost in a Redis outage) asks it for all of
/// them again, so the view heals by itself. Changes are sent to the room's sockets on every
/// server as ``event`` (`{"room","user","state":"join"|"leave"}`), and to ``onChange(_:)``.
///
/// ```swift
/// let presence = sio.of("/chat").trackPresence()   // before sockets connect
/// sio.of("/chat").onConnection { socket in socket.presenceKey = socket.auth?["user"]?.stringValue }
/// presence.members(of: "lobby")   // ["ann", "bob"], across the cluster
/// ```
@LoopActor
public final class PresenceTracker {
    /// The event a room's sockets get when a key arrives or leaves (`nil`: none).
    public var event: String?
    /// The most keys one room holds; arrivals beyond are ignored and counted.
    public var maxKeysPerRoom = 10_000
    /// The most entries (room and key) kept for all the other servers together.
    public var maxRemoteEntries = 1_000_000
    /// The most other servers followed; messages from more are ignored.
    public var maxServers = 4096
    /// Changes and messages ignored so far: remote entries over the limits, malformed messages.
    public private(set) var ignored = 0
    /// Servers taken as dead (not heard from in time).
    public private(set) var expiredServers = 0

    unowned let namespace: Namespace
    /// The server of the namespace, while it lives: the heartbeat stops with it (an app may
    /// keep a namespace longer).
    private weak var server: SocketIOServer?
    /// This server in the presence messages (its own id: adapters know nothing of it).
    let serverID = ClusterAdapter.randomID(length: 12)
    private var local: [String: [String: Int]] = [:]
    private var localEntries = 0
    private var remote: [String: RemoteServer] = [:]
    private var remoteEntries = 0
    private var handlers: [@LoopActor (PresenceChange) -> Void] = []
    private var timer: LoopTimer?

    private struct RemoteServer {
        var rooms: [String: Set<String>] = [:]
        var entries = 0
        var lastHeard: UInt64
    }

    /// The server-side event that carries presence between servers.
    static let channelEvent = "flagon:presence"
    /// Longest room name or key accepted from another server.
    static let maxNameBytes = 1024

    init(namespace: Namespace, event: String?) {
        self.namespace = namespace
        self.event = event
        namespace.onServerSideEmit(Self.channelEvent) { [weak self] (args: [JSONValue]) in self?.received(args.first) }
        server = namespace.server
        let interval = namespace.server.options.engine.pingInterval
        let timer = LoopTimer { [weak self] in self?.heartbeat() }
        timer.unref()
        timer.start(afterMilliseconds: interval, repeatMilliseconds: interval)
        self.timer = timer
        send(["op": "sync", "to": "*"])   // every other server: send me what you have
    }

    /// This server's entries (a key in a room) and the rooms that hold them (for tests).
    var localCounts: (entries: Int, rooms: Int) { (localEntries, local.count) }
    /// The other servers followed and their entries (for tests).
    var remoteCounts: (servers: Int, entries: Int) { (remote.count, remoteEntries) }

    /// Calls `handler` on each arrival and departure.
    public func onChange(_ handler: @escaping @LoopActor (PresenceChange) -> Void) { handlers.append(handler) }

    /// The keys present in `room` on any server, unique and sorted.
    public func members(of room: String) -> [String] {
        var keys = Set<String>()
        if let here = local[room] { keys.formUnion(here.keys) }
        for server in remote.values { if let present = server.rooms[room] { keys.formUnion(present) } }
        return keys.sorted()
    }

    /// Whether `key` has a socket in `room` on any server.
    public func isPresent(_ key: String, in room: String) -> Bool {
        if local[room]?[key] != nil { return true }
        return remote.values.contains { $0.rooms[room]?.contains(key) == true }
    }

    /// Stops: the heartbeat ends (the other servers then let this one's keys go).
    func close() {
        timer?.close()
        timer = nil
    }

    // MARK: This server's sockets

    /// A socket with `key` entered `room`.
    func add(_ key: String, to room: String) {
        let count = local[room]?[key] ?? 0
        if count == 0 && (local[room]?.count ?? 0) >= maxKeysPerRoom {
            ignored += 1
            return
        }
        let wasPresent = count > 0 || isPresent(key, in: room)
        local[room, default: [:]][key] = count + 1
        guard count == 0 else { return }
        localEntries += 1
        send(["op": "add", "from": .string(serverID), "room": .string(room), "key": .string(key)])
        if !wasPresent { changed(PresenceChange(room: room, key: key, joined: true)) }
    }

    /// A socket with `key` left `room`.
    func remove(_ key: String, from room: String) {
        guard let count = local[room]?[key] else { return }
        if count > 1 {
            local[room]?[key] = count - 1
            return
        }
        local[room]?[key] = nil
        if local[room]?.isEmpty == true { local[room] = nil }
        localEntries -= 1
        send(["op": "remove", "from": .string(serverID), "room": .string(room), "key": .string(key)])
        if !isPresent(key, in: room) { changed(PresenceChange(room: room, key: key, joined: false)) }
    }

    private func changed(_ change: PresenceChange) {
        if let event {
            let payload: JSONValue = ["room": .string(change.room), "user": .string(change.key), "state": .string(change.joined ? "join" : "leave")]
            namespace.local.to(change.room).emit(event, payload)
        }
        for handler in handlers { handler(change) }
    }

    // MARK: The other servers

    private func send(_ message: JSONObject) {
        namespace.serverSideEmit(Self.channelEvent, .object(message))
    }

    private func heartbeat() {
        guard let server else { return close() }
        send(["op": "beat", "from": .string(serverID), "entries": .int(localEntries)])
        let options = server.options.engine
        let deadline = 2 * options.pingInterval + options.pingTimeout
        let now = EventLoop.shared.nowMilliseconds
        for (id, peer) in remote where now - peer.lastHeard > deadline {
            expiredServers += 1
            server.options.logger.warning("presence in \(namespace.name): no word from server \(id) for \(deadline) ms; its users leave")
            replace(id, with: nil)
        }
    }

    /// A message from another server: untrusted input, checked and bounded.
    func received(_ value: JSONValue?) {
        guard let value, let op = value["op"]?.stringValue else { return ignore() }
        if op == "sync" {
            guard let to = value["to"]?.stringValue else { return ignore() }
            if to == "*" || to == serverID { sendSnapshot() }
            return
        }
        guard let from = value["from"]?.stringValue, from != serverID, from.utf8.count <= 64 else { return ignore() }
        let now = EventLoop.shared.nowMilliseconds
        let known = remote[from] != nil
        if !known {
            guard remote.count < maxServers else { return ignore() }
            remote[from] = RemoteServer(lastHeard: now)
        }
        remote[from]?.lastHeard = now
        switch op {
        case "beat":
            guard let entries = value["entries"]?.intValue else { return ignore() }
            if !known || remote[from]?.entries != entries { send(["op": "sync", "to": .string(from)]) }
        case "add", "remove":
            guard let room = value["room"]?.stringValue, let key = value["key"]?.stringValue,
                  room.utf8.count <= Self.maxNameBytes, key.utf8.count <= Self.maxNameBytes
            else { return ignore() }
            if !known { send(["op": "sync", "to": .string(from)]) }
            let before = isPresent(key, in: room)
            if op == "add" {
                guard remote[from]?.rooms[room]?.contains(key) != true else { return }
                guard remoteEntries < maxRemoteEntries, (remote[from]?.rooms[room]?.count ?? 0) < maxKeysPerRoom else { return ignore() }
                remote[from]?.rooms[room, default: []].insert(key)
                remote[from]?.entries += 1
                remoteEntries += 1
            } else {
                guard remote[from]?.rooms[room]?.remove(key) != nil else { return }
                if remote[from]?.rooms[room]?.isEmpty == true { remote[from]?.rooms[room] = nil }
                remote[from]?.entries -= 1
                remoteEntries -= 1
            }
            let after = isPresent(key, in: room)
            if before != after { changed(PresenceChange(room: room, key: key, joined: after)) }
        case "snapshot":
            guard case .object(let rooms)? = value["rooms"] else { return ignore() }
            var table: [String: Set<String>] = [:]
            var entries = 0
            for member in rooms {
                guard case .array(let keys) = member.value, member.key.utf8.count <= Self.maxNameBytes else { return ignore() }
                let names = keys.compactMap(\.stringValue).filter { $0.utf8.count <= Self.maxNameBytes }
                guard !names.isEmpty else { continue }
                table[member.key] = Set(names.prefix(maxKeysPerRoom))
                entries += table[member.key]!.count
            }
            guard remoteEntries - (remote[from]?.entries ?? 0) + entries <= maxRemoteEntries else { return ignore() }
            replace(from, with: table)
        default:
            ignore()
        }
    }

    /// Replaces what a server holds (`nil`: it is gone), telling the changes.
    private func replace(_ id: String, with table: [String: Set<String>]?) {
        let old = remote[id]?.rooms ?? [:]
        let new = table ?? [:]
        var touched: [(room: String, key: String, before: Bool)] = []
        for (room, keys) in old { for key in keys where new[room]?.contains(key) != true { touched.append((room, key, isPresent(key, in: room))) } }
        for (room, keys) in new { for key in keys where old[room]?.contains(key) != true { touched.append((room, key, isPresent(key, in: room))) } }
        remoteEntries -= remote[id]?.entries ?? 0
        if let table {
            let entries = table.values.reduce(0) { $0 + $1.count }
            remote[id] = RemoteServer(rooms: table, entries: entries, lastHeard: remote[id]?.lastHeard ?? EventLoop.shared.nowMilliseconds)
            remoteEntries += entries
        } else {
            remote[id] = nil
        }
        for item in touched {
            let after = isPresent(item.key, in: item.room)
            if after != item.before { changed(PresenceChange(room: item.room, key: item.key, joined: after)) }
        }
    }

    private func sendSnapshot() {
        var rooms: JSONObject = [:]
        for (room, keys) in local { rooms[room] = .array(keys.keys.sorted().map(JSONValue.string)) }
        send(["op": "snapshot", "from": .string(serverID), "rooms": .object(rooms)])
    }

    private func ignore() { ignored += 1 }
}

extension Namespace {
    /// Tracks who is in each room (``PresenceTracker``), cluster-wide; call it once, before
    /// sockets connect (again: the same tracker). `event` is what the room's sockets get on
    /// each change (`nil`: none).
    @discardableResult
    public func trackPresence(event: String? = "presence") -> PresenceTracker {
        if let presence { return presence }
        let tracker = PresenceTracker(namespace: self, event: event)
        presence = tracker
        return tracker
    }

    /// The presence keys in `room` on every server (empty unless ``trackPresence(event:)`` was called).
    public func presence(in room: String) -> [String] { presence?.members(of: room) ?? [] }
}

extension Socket {
    /// The key this socket is present under in its rooms (``PresenceTracker``): set by the
    /// server, typically in a connect handler from verified credentials, never taken from
    /// the client as it is. Setting it moves the socket's rooms to the new key.
    public var presenceKey: String? {
        get { storedPresenceKey }
        set {
            guard newValue != storedPresenceKey else { return }
            let rooms = presenceRooms
            if let old = storedPresenceKey, isConnected { for room in rooms { namespace.presence?.remove(old, from: room) } }
            storedPresenceKey = newValue
            // A connecting socket counts once it is accepted.
            if let key = newValue, isConnected { for room in rooms { namespace.presence?.add(key, to: room) } }
        }
    }

    /// The rooms that count for presence: all but the socket's own.
    var presenceRooms: Set<String> {
        guard namespace.presence != nil else { return [] }
        var rooms = self.rooms
        rooms.remove(id)
        return rooms
    }
}
