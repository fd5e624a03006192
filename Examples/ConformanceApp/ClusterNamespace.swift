import FlagonSocketIO

/// The `/cluster` namespace of the contract's section 8: operations that reach every server
/// of a cluster (with the in-memory adapter, the cluster is this process).
enum ClusterNamespace {
    @LoopActor
    static func serve(_ cluster: Namespace, serverID: String) {
        cluster.on("whoami") { (socket: Socket) -> JSONValue in
            guard let worker = WorkerIdentity.current else { return ["server": .string(serverID), "sid": .string(socket.id)] }
            return ["server": .string(serverID), "sid": .string(socket.id), "worker": .int(worker.index)]
        }
        cluster.on("set-data") { (socket: Socket, data: JSONValue) -> Bool in
            socket.data = data
            return true
        }
        cluster.on("join") { (socket: Socket, room: String) -> Bool in
            socket.join(room)
            return true
        }
        cluster.on("emit-to") { (_: Socket, room: String, event: String, data: JSONValue) -> Bool in
            cluster.to(room).emit(event, data)
            return true
        }
        cluster.on("broadcast") { (socket: Socket, event: String, data: JSONValue) -> Bool in
            socket.broadcast.emit(event, data)
            return true
        }
        cluster.on("count") { (_: Socket, room: String) async -> Int in
            await cluster.to(room).fetchSockets().count
        }
        cluster.on("server-side") { (_: Socket, data: JSONValue) -> Bool in
            cluster.serverSideEmit("hello-servers", data)
            return true
        }
        cluster.onServerSideEmit("hello-servers") { (args: [JSONValue]) in
            cluster.local.emit("server-side-seen", ["server": .string(serverID), "data": args.first ?? .null])
        }
        cluster.on("kick") { (_: Socket, room: String) -> Bool in
            // After the ack has gone out.
            Task { @LoopActor in cluster.to(room).disconnectSockets(close: true) }
            return true
        }
        cluster.on("join-remote") { (_: Socket, sid: String, room: String) -> Bool in
            cluster.to(sid).socketsJoin(room)
            return true
        }
        cluster.on("leave-remote") { (_: Socket, sid: String, room: String) -> Bool in
            cluster.to(sid).socketsLeave(room)
            return true
        }
    }
}
