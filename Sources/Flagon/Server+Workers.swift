import FlagonHTTP
import FlagonLoop
#if canImport(Glibc)
import Glibc
#endif

/// What a server does as one of several workers: requests routed to the worker that owns
/// them, connections handed over and adopted, and a full worker that stops accepting.
extension Server {
    // MARK: Limits

    nonisolated static func openFileLimit() -> Int {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        return limit.rlim_cur >= UInt(Int.max) ? Int.max : Int(limit.rlim_cur)
    }

    func pauseAccepting() {
        guard !acceptingPaused else { return }
        acceptingPaused = true
        for listener in listeners { listener.close() }
        listeners = []
        app.logger.warning("\(connections.count + upgraded.count) connections open: not accepting until some close")
    }

    /// Listens again once a paused worker is below nine tenths of its limit.
    func resumeAcceptingIfRoom() {
        guard acceptingPaused, !isShuttingDown, connections.count < options.maxConnections / 10 * 9,
              connections.count + upgraded.count < descriptorLimit / 10 * 9,
              let worker = WorkerIdentity.current
        else { return }
        guard let resumed = try? listenOnWorkerSockets(worker) else { return }
        listeners = resumed
        acceptingPaused = false
        app.logger.info("accepting connections again")
    }

    // MARK: Workers

    /// Listeners on copies of the sockets the workers share.
    func listenOnWorkerSockets(_ worker: WorkerIdentity) throws(UVError) -> [TCPListener] {
        try openListeners(worker.listenDescriptors) { descriptor throws(UVError) in
            try TCPListener(descriptor: dup(descriptor), group: handles) { [self] stream in accept(stream) }
        }
    }

    /// One listener per item, all or none: when one cannot be opened, those already open close.
    func openListeners<Item>(_ items: [Item], _ open: (Item) throws(UVError) -> TCPListener) throws(UVError) -> [TCPListener] {
        var opened: [TCPListener] = []
        do throws(UVError) {
            for item in items { opened.append(try open(item)) }
        } catch {
            for listener in opened { listener.close() }
            throw error
        }
        return opened
    }

    /// The worker that must serve a request, when it is another one.
    func otherWorker(for head: HTTPRequestHead) -> Int? {
        guard let workerIndex else { return nil }
        for route in app.workerRoutes {
            if let owner = route(head) { return owner == workerIndex ? nil : owner }
        }
        return nil
    }

    /// Serves a connection another worker handed over, starting with the bytes it had read.
    func adopt(_ stream: TCPStream, bytes: [UInt8], origin: ConnectionOrigin?) {
        if isClosingConnections {
            stream.close()
            return
        }
        stream.highWaterMark = options.writeHighWaterMark
        let connection = HTTPConnection(stream: stream, server: self, origin: origin)
        connections[ObjectIdentifier(connection)] = connection
        connection.start(initialBytes: bytes)
    }

    /// Gives a connection to another worker; `false` when that worker cannot take it now.
    ///
    /// A TLS connection cannot move (its keys live in this process): the other worker gets
    /// one end of a unix socket instead, and this worker relays the plaintext (``ConnectionRelay``).
    func handOver(_ connection: HTTPConnection, stream: TCPStream, bytes: [UInt8], to worker: Int) -> Bool {
        guard let mesh = WorkerMesh.shared, mesh.isReachable(worker) else { return false }
        if stream.isSecured {
            guard let (relayed, handed) = try? TCPStream.unixPair(group: handles) else { return false }
            connections[ObjectIdentifier(connection)] = nil
            upgraded[ObjectIdentifier(stream)] = stream   // closed at shutdown like a WebSocket
            relayed.highWaterMark = options.writeHighWaterMark
            _ = ConnectionRelay(client: stream, owner: relayed)
            let origin = ConnectionOrigin(address: connection.remote ?? "", isSecure: true)
            mesh.handOver(handed, bytes: bytes, origin: origin, to: worker) { taken in
                handed.close()
                if !taken { relayed.close() }
            }
            return true
        }
        connections[ObjectIdentifier(connection)] = nil
        // A relayed connection moving on keeps its origin.
        mesh.handOver(stream, bytes: bytes, origin: connection.origin, to: worker) { _ in stream.close() }   // the other worker holds it now
        return true
    }

}
