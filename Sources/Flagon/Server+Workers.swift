import FlagonHTTP
import FlagonLoop
#if canImport(Glibc)
import Glibc
#endif

/// What a server does as one of several workers: requests routed to the worker that owns
/// them, connections handed over and adopted, and a full worker that stops accepting.
extension Server {
    // MARK: Limits

    static func openFileLimit() -> Int {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        return limit.rlim_cur >= UInt(Int.max) ? Int.max : Int(limit.rlim_cur)
    }

    func pauseAccepting() {
        guard !acceptingPaused else { return }
        acceptingPaused = true
        listener?.close()
        listener = nil
        app.logger.warning("\(connections.count + upgraded.count) connections open: not accepting until some close")
    }

    /// Listens again once a paused worker is below nine tenths of its limit.
    func resumeAcceptingIfRoom() {
        guard acceptingPaused, !isShuttingDown, connections.count < options.maxConnections / 10 * 9,
              connections.count + upgraded.count < descriptorLimit / 10 * 9,
              let worker = WorkerIdentity.current
        else { return }
        guard let resumed = try? TCPListener(descriptor: dup(worker.listenDescriptor), group: handles, onAccept: { [self] in self.accept($0) })
        else { return }
        listener = resumed
        acceptingPaused = false
        app.logger.info("accepting connections again")
    }

    // MARK: Workers

    /// The worker that must serve a request, when it is another one.
    func otherWorker(for head: HTTPRequestHead) -> Int? {
        guard let workerIndex else { return nil }
        for route in app.workerRoutes {
            if let owner = route(head) { return owner == workerIndex ? nil : owner }
        }
        return nil
    }

    /// Serves a connection another worker handed over, starting with the bytes it had read.
    func adopt(_ stream: TCPStream, bytes: [UInt8]) {
        if isClosingConnections {
            stream.close()
            return
        }
        stream.highWaterMark = options.writeHighWaterMark
        let connection = HTTPConnection(stream: stream, server: self)
        connections[ObjectIdentifier(connection)] = connection
        connection.start(initialBytes: bytes)
    }

    /// Gives a connection to another worker; `false` when that worker cannot take it now.
    func handOver(_ connection: HTTPConnection, stream: TCPStream, bytes: [UInt8], to worker: Int) -> Bool {
        guard let mesh = WorkerMesh.shared, mesh.isReachable(worker) else { return false }
        connections[ObjectIdentifier(connection)] = nil
        mesh.handOver(stream, bytes: bytes, to: worker) { _ in stream.close() }   // the other worker holds it now
        return true
    }

}
