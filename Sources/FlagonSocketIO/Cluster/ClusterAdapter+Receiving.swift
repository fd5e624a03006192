import Flagon
import FlagonJSON
import FlagonMessagePack
import FlagonSocketIOCore

/// What reaches an adapter from the other servers: broadcasts, requests (answered), and the
/// responses to its own requests.
extension ClusterAdapter {
    // MARK: Receiving

    /// A message on one of this namespace's channels.
    public func received(_ message: ClusterMessage) {
        switch channels.kind(of: message.channel) {
        case .broadcast: receivedBroadcast(message, room: nil)
        case .room(let room): receivedBroadcast(message, room: room)
        case .request: receivedRequest(message)
        case .response: receivedResponse(message)
        case .foreign: transport.ignored("not a channel of \(namespace.name)", on: message.channel)
        }
    }

    private func receivedBroadcast(_ message: ClusterMessage, room: String?) {
        let store = namespace.server.stateStore
        // A pattern subscription sees every room: without a store to tell, rooms without local members are skipped.
        if let room, store == nil, !local.hasMembers(room) { return }
        let broadcast: ClusterBroadcast
        do {
            broadcast = try ClusterBroadcast.decode(message.payload)
        } catch {
            return transport.ignored(error.message, on: message.channel)
        }
        guard broadcast.uid != uid else { return }
        guard broadcast.packet.namespace == namespace.name else {
            return transport.ignored("a packet of \(broadcast.packet.namespace)", on: message.channel)
        }
        let target = BroadcastTarget(rooms: Set(broadcast.rooms), except: Set(broadcast.except),
                                     volatile: broadcast.flags["volatile"] == .bool(true), local: true)
        // Logged for this server's disconnected sockets, members or not.
        store?.observe(broadcast.packet, target: target)
        if let room, !local.hasMembers(room) { return }
        local.broadcast(broadcast.packet, to: target)
    }

    private func receivedRequest(_ message: ClusterMessage) {
        let request: ClusterAdapterMessage
        do {
            request = try ClusterAdapterMessage.decode(message.payload)
        } catch {
            return transport.ignored(error.message, on: message.channel)
        }
        guard let type = request.type else { return transport.ignored("no known request type", on: message.channel) }
        let mine = request.uid == uid
        let fields = request.fields
        switch type {
        case .sockets:
            guard !mine, let requestID = request.requestId else { return }
            guard let rooms = Self.rooms(fields["rooms"]) else { return transport.ignored("rooms is not a list", on: message.channel) }
            respond(to: request, ["requestId": .string(requestID),
                                  "sockets": .array(local.socketIDs(BroadcastTarget(rooms: Set(rooms))).map(JSONValue.string))])
        case .allRooms:
            guard !mine, let requestID = request.requestId else { return }
            respond(to: request, ["requestId": .string(requestID), "rooms": .array(local.allRooms.sorted().map(JSONValue.string))])
        case .remoteJoin, .remoteLeave, .remoteDisconnect:
            guard !mine else { return }   // applied here when it was sent
            if !receivedRoomOperation(type, request) { transport.ignored("malformed \(type) request", on: message.channel) }
        case .remoteFetch:
            guard !mine, let requestID = request.requestId else { return }
            guard let target = Self.target(fields["opts"]) else { return transport.ignored("malformed opts", on: message.channel) }
            respond(to: request, ["requestId": .string(requestID), "sockets": .array(local.localSockets(target).map(\.json))])
        case .serverSideEmit:
            guard !mine, case .array(let data)? = fields["data"] else { return }
            guard let requestID = request.requestId else { return namespace.receiveServerSideEmit(data, reply: nil) }
            var answered = false
            namespace.receiveServerSideEmit(data) { [weak self] answer in
                guard let self, !answered else { return }
                answered = true
                let response: JSONObject = ["type": .int(ClusterRequestType.serverSideEmit.rawValue), "requestId": .string(requestID), "data": answer]
                transport.publish(responseChannel(for: request), ClusterAdapterMessage(response).encodedJSON())
            }
        case .broadcast:
            guard let requestID = request.requestId, ackRequests[requestID] == nil, !mine else { return }
            receivedBroadcastWithAck(request, requestID: requestID, on: message.channel)
        case .broadcastClientCount, .broadcastAck:
            transport.ignored("a response on the request channel", on: message.channel)
        }
    }

    /// Applies a REMOTE_JOIN, REMOTE_LEAVE or REMOTE_DISCONNECT; `false` when it is malformed.
    private func receivedRoomOperation(_ type: ClusterRequestType, _ request: ClusterAdapterMessage) -> Bool {
        let fields = request.fields
        if fields["opts"] != nil {
            guard let target = Self.target(fields["opts"]) else { return false }
            switch type {
            case .remoteJoin, .remoteLeave:
                guard case .array? = fields["rooms"], let rooms = Self.rooms(fields["rooms"]) else { return false }
                if type == .remoteJoin { local.addSockets(target, rooms: rooms) } else { local.removeSockets(target, rooms: rooms) }
            default:
                local.disconnectSockets(target, close: fields["close"]?.boolValue == true)
            }
            return true
        }
        // The older form: one socket by id, answered when it is here.
        guard let sid = fields["sid"]?.stringValue else { return false }
        guard let socket = namespace.sockets[sid] else { return true }
        switch type {
        case .remoteJoin: if let room = fields["room"]?.stringValue { socket.join(room) }
        case .remoteLeave: if let room = fields["room"]?.stringValue { socket.leave(room) }
        default: socket.disconnect(close: fields["close"]?.boolValue == true)
        }
        if let requestID = request.requestId { respond(to: request, ["requestId": .string(requestID)]) }
        return true
    }

    private func receivedBroadcastWithAck(_ request: ClusterAdapterMessage, requestID: String, on channel: String) {
        guard case .object(var packetFields)? = request.fields["packet"] else { return transport.ignored("no packet", on: channel) }
        if packetFields["nsp"] == nil { packetFields["nsp"] = .string(namespace.name) }
        let packet: SocketIOPacket
        do {
            packet = try SocketIOPacket(messagePack: MessagePackValue(json: .object(packetFields)))
        } catch {
            return transport.ignored("invalid packet: \(error)", on: channel)
        }
        guard packet.namespace == namespace.name else { return transport.ignored("a packet of \(packet.namespace)", on: channel) }
        guard var target = Self.target(request.fields["opts"]) else { return transport.ignored("malformed opts", on: channel) }
        target.local = true
        let timeout = request.fields["opts"]?["flags"]?["timeout"]?.intValue.map { UInt64(max(0, $0)) } ?? transport.requestsTimeout
        local.broadcastWithAck(
            packet, to: target, timeout: timeout,
            onClientCount: { [weak self] count in
                guard let self else { return }
                let response: JSONObject = ["type": .int(ClusterRequestType.broadcastClientCount.rawValue), "requestId": .string(requestID),
                                            "clientCount": .int(count)]
                respond(to: request, response)
            },
            onAck: { [weak self] answer in
                guard let self else { return }
                let response: JSONObject = ["type": .int(ClusterRequestType.broadcastAck.rawValue), "requestId": .string(requestID), "packet": answer]
                transport.publish(responseChannel(for: request), ClusterAdapterMessage(response).encodedMessagePack())
            })
    }

    private func receivedResponse(_ message: ClusterMessage) {
        let response: ClusterAdapterMessage
        do {
            response = try ClusterAdapterMessage.decode(message.payload)
        } catch {
            return transport.ignored(error.message, on: message.channel)
        }
        guard let requestID = response.requestId else { return transport.ignored("a response without requestId", on: message.channel) }
        if let ackRequest = ackRequests[requestID] {
            switch response.type {
            case .broadcastClientCount: ackRequest.onClientCount(response.fields["clientCount"]?.intValue ?? 0)
            case .broadcastAck: ackRequest.onAck(response.fields["packet"] ?? .null)
            default: break
            }
            return
        }
        guard var request = requests[requestID] else { return }   // another server's, or too late
        request.responses.append(response.fields)
        requests[requestID] = request
        if request.responses.count >= request.expected { finishRequest(requestID, timedOut: false) }
    }

    private func respond(to request: ClusterAdapterMessage, _ fields: JSONObject) {
        transport.publish(responseChannel(for: request), ClusterAdapterMessage(fields).encodedJSON())
    }

    private func responseChannel(for request: ClusterAdapterMessage) -> String {
        if transport.publishOnSpecificResponseChannel, let requester = request.uid { return channels.response(for: requester) }
        return channels.response
    }
}
