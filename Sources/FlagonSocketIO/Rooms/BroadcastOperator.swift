import FlagonJSON
import FlagonLoop
import FlagonSocketIOCore

/// Emits and other operations on the sockets of rooms, through the namespace's adapter.
/// Each broadcast is encoded once for all its recipients.
///
/// ```swift
/// sio.of("/chat").to("room1").to("room2").except("muted").emit("news", "hello")
/// socket.broadcast.emit("joined", .string(socket.id))   // everyone but the sender
/// ```
@LoopActor
public struct BroadcastOperator {
    /// The namespace.
    public let namespace: Namespace
    /// The rooms targeted and excluded.
    public let target: BroadcastTarget

    /// Also targets a room.
    public func to(_ room: String) -> BroadcastOperator { to([room]) }

    /// Also targets rooms.
    public func to(_ rooms: [String]) -> BroadcastOperator {
        var target = self.target
        target.rooms.formUnion(rooms)
        return BroadcastOperator(namespace: namespace, target: target)
    }

    /// The same target, but each recipient whose transport cannot write at once misses the
    /// event instead of queuing it (socket.io's `volatile`).
    ///
    /// ```swift
    /// sio.of("/game").volatile.emit("positions", state)
    /// ```
    public var volatile: BroadcastOperator {
        var target = self.target
        target.volatile = true
        return BroadcastOperator(namespace: namespace, target: target)
    }

    /// The same target, on this server only, even with a cluster adapter (socket.io's `local`).
    ///
    /// ```swift
    /// sio.of("/chat").local.emit("restarting")
    /// ```
    public var local: BroadcastOperator {
        var target = self.target
        target.local = true
        return BroadcastOperator(namespace: namespace, target: target)
    }

    /// Excludes a room's members.
    public func except(_ room: String) -> BroadcastOperator { except([room]) }

    /// Excludes the members of rooms.
    public func except(_ rooms: [String]) -> BroadcastOperator {
        var target = self.target
        target.except.formUnion(rooms)
        return BroadcastOperator(namespace: namespace, target: target)
    }

    /// Emits an event; returns how many local sockets it was sent to.
    @discardableResult
    public func emit(_ event: String, _ args: JSONValue...) -> Int { emit(event, arguments: args) }

    /// Emits an event; returns how many local sockets it was sent to.
    @discardableResult
    public func emit(_ event: String, arguments: [JSONValue]) -> Int {
        if namespace.isParent {
            // A parent namespace: every child's sockets.
            return namespace.children.values.reduce(0) { $0 + BroadcastOperator(namespace: $1, target: self.target).emit(event, arguments: arguments) }
        }
        let packet = SocketIOPacket(type: .event, namespace: namespace.name, data: .array([.string(event)] + arguments))
        guard let store = namespace.server.stateStore, !target.volatile else { return namespace.adapter.broadcast(packet, to: target) }
        // Recorded for replay: it carries its offset as the last argument.
        var sent = 0
        let adapter = namespace.adapter!
        let target = self.target
        store.record(packet, target: target) { recorded in sent = adapter.broadcast(recorded, to: target) }
        return sent
    }

    /// Emits an event and returns how many sockets it was sent to on every server (the
    /// local count, plus the other servers' targeted sockets, asked for just before).
    ///
    /// ```swift
    /// let delivered = await socket.namespace.to("lobby").except(socket.id).emitCountingEverywhere("said", arguments: [text])
    /// ```
    public func emitCountingEverywhere(_ event: String, arguments: [JSONValue]) async -> Int {
        var remote = 0
        if !target.local && !(namespace.adapter is InMemoryAdapter) {
            let sockets = await fetchSockets()
            remote = sockets.reduce(0) { $0 + (namespace.sockets[$1.id] == nil ? 1 : 0) }
        }
        return remote + emit(event, arguments: arguments)
    }

    /// Emits an event that every recipient acks, on every server; `completion` gets the first
    /// argument of each ack received within `timeout` milliseconds (socket.io's
    /// `io.timeout(ms).emit(event, callback)`), once every recipient answered or the time is up.
    ///
    /// ```swift
    /// sio.of("/poll").all.emit("vote", arguments: ["lunch?"], timeout: 5000) { acks in
    ///     print(acks.responses, acks.timedOut)
    /// }
    /// ```
    public func emit(_ event: String, arguments: [JSONValue], timeout: UInt64,
                     completion: @escaping @LoopActor (BroadcastAcks) -> Void) {
        let collector = AckCollector(completion: completion)
        let timer = LoopTimer(group: namespace.server.engine.handles) { collector.finish(timedOut: true) }
        collector.timer = timer
        timer.start(afterMilliseconds: timeout)
        namespace.adapter.broadcastWithAck(
            SocketIOPacket(type: .event, namespace: namespace.name, data: .array([.string(event)] + arguments)),
            to: target, timeout: timeout,
            onClientCount: { collector.serverReported(clients: $0) },
            onAck: { collector.received($0) })
        if target.local {
            collector.expectServers(1)
        } else {
            let adapter = namespace.adapter!
            Task { collector.expectServers(await adapter.serverCount()) }
        }
    }

    /// Emits an event that every recipient acks, on every server, and returns the answers.
    public func emitWithAck(_ event: String, arguments: [JSONValue], timeout: UInt64) async -> BroadcastAcks {
        await withCheckedContinuation { continuation in
            emit(event, arguments: arguments, timeout: timeout) { continuation.resume(returning: $0) }
        }
    }

    /// The ids of the local sockets targeted.
    public var socketIDs: [String] { namespace.adapter.socketIDs(target) }

    /// Makes the targeted sockets join a room.
    public func socketsJoin(_ room: String) { namespace.adapter.addSockets(target, rooms: [room]) }

    /// Makes the targeted sockets leave a room.
    public func socketsLeave(_ room: String) { namespace.adapter.removeSockets(target, rooms: [room]) }

    /// Disconnects the targeted sockets.
    public func disconnectSockets(close: Bool = false) { namespace.adapter.disconnectSockets(target, close: close) }

    /// Describes the targeted sockets, on every server (those that answer within the
    /// adapter's request timeout).
    public func fetchSockets() async -> [RemoteSocket] { await namespace.adapter.fetchSockets(target) }
}
