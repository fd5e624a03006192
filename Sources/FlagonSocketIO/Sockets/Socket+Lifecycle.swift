import Flagon
import FlagonHTTP
import FlagonJSON
import FlagonLoop
import FlagonSocketIOCore

/// A socket's life: connected (the CONNECT reply, what recovery replays), refused, its
/// tasks, and its end.
extension Socket {
    // MARK: Lifecycle

    func didConnect(missed: [SocketIOPacket] = []) {
        connecting = false
        isConnected = true
        sendConnectReply()
        for packet in missed { deliver(OutboundMessage(packet, parser: server.options.parser), packet: packet) }
        let held = buffered
        buffered = []
        for (message, packet) in held { deliver(message, packet: packet) }
    }

    /// Sends the CONNECT reply with the socket's id.
    func sendConnectReply() {
        if server.options.parser == .json {
            _ = connection.engine.send(OutboundMessage(connectReplyIn: namespace.name, sid: id, pid: pid))
            return
        }
        var reply: JSONObject = ["sid": .string(id)]
        if let pid { reply["pid"] = .string(pid) }
        sendPacketNow(SocketIOPacket(type: .connect, namespace: namespace.name, data: .object(reply)))
    }

    private func sendPacketNow(_ packet: SocketIOPacket) {
        let message = OutboundMessage(packet, parser: server.options.parser)
        _ = connection.engine.send(message)
    }

    func refuse(_ refusal: ConnectionRefused) {
        connecting = false
        buffered = []
        var payload: JSONObject = ["message": .string(refusal.message)]
        if let data = refusal.data { payload["data"] = data }
        sendPacketNow(SocketIOPacket(type: .connectError, namespace: namespace.name, data: .object(payload)))
    }

    /// Runs work owned by the socket: it is cancelled when the socket disconnects.
    ///
    /// ```swift
    /// socket.startTask { while !Task.isCancelled { socket.emit("tick"); try? await Task.sleep(for: .seconds(1)) } }
    /// ```
    public func startTask(_ operation: @escaping @LoopActor @Sendable () async -> Void) {
        guard isConnected || connecting else { return }
        ownedTasks.removeAll { $0.isCancelled }
        ownedTasks.append(Task { await operation() })
    }

    /// Disconnects from the namespace (`close: true` also closes the whole connection).
    public func disconnect(close: Bool = false) {
        disconnect(reason: .serverNamespaceDisconnect)
        if close { connection.engine.close(reason: .serverClose) }
    }

    /// Sends DISCONNECT and leaves the namespace with `reason`.
    func disconnect(reason: DisconnectReason) {
        guard isConnected else { return }
        sendPacketNow(SocketIOPacket(type: .disconnect, namespace: namespace.name))
        finish(reason)
    }

    /// Leaves the namespace without telling the client (it disconnected, or its connection ended).
    func finish(_ reason: DisconnectReason) {
        guard isConnected || connecting else { return }
        let wasConnected = isConnected
        isConnected = false
        connecting = false
        disconnectReason = reason
        buffered = []
        for task in ownedTasks { task.cancel() }
        ownedTasks = []
        credentialsTimer?.close()
        credentialsTimer = nil
        for ackID in Array(pendingAcks.keys) { failAck(ackID, .disconnected) }
        ackDeadline?.cancel()
        if wasConnected, let pid, let store = server.stateStore {
            if reason.isRecoverable {
                store.save(state(pid: pid), connected: false)
            } else if store.keepsConnectedStates {
                store.discard(pid: pid)
            }
        }
        connection.socketLeft(self)
        namespace.remove(self, reason: reason, notify: wasConnected)
        // The controller refers back to its socket: letting go of it here breaks the cycle.
        controller = nil
    }
}
