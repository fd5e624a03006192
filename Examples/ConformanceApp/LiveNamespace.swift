import FlagonSocketIO

/// The `/live` namespace of the contract's section 16: presence, expiring credentials and
/// room history, in one process, across workers and across a Redis cluster alike.
enum LiveNamespace {
    @LoopActor
    static func serve(_ live: Namespace, historyLimit: Int, historyStore: (any RoomHistoryStore)?) {
        live.trackPresence(event: "presence")
        let history = live.keepHistory(RoomHistoryLimits(maxMessages: historyLimit), store: historyStore)
        live.use { (socket: Socket, auth: JSONValue?) in
            guard let user = auth?["user"]?.stringValue, !user.isEmpty else { throw ConnectionRefused("user required") }
            socket.presenceKey = user
            if let lifetime = auth?["expiresInMs"]?.intValue { socket.grantCredentials(.valid(for: lifetime)) }
        }
        live.on("join") { (socket: Socket, room: String) async -> Bool in
            await history.replay(room, to: socket)
            socket.join(room)
            return true
        }
        live.on("leave") { (socket: Socket, room: String) -> Bool in
            socket.leave(room)
            return true
        }
        live.on("members") { (_: Socket, room: String) -> [String] in
            live.presence(in: room)
        }
        live.on("say") { (socket: Socket, room: String, text: String) async -> Int? in
            let user = socket.presenceKey ?? ""
            return await history.emit(to: room, event: "said") { seq in
                [["room": .string(room), "user": .string(user), "text": .string(text), "seq": .int(seq)]]
            }
        }
        // The app decides: a lifetime that is no positive number is refused, and the old expiry stands.
        live.on("refresh") { (socket: Socket, lifetime: JSONValue) -> Bool in
            guard let milliseconds = lifetime.intValue, milliseconds > 0 else { return false }
            socket.grantCredentials(.valid(for: milliseconds))
            return true
        }
    }
}
