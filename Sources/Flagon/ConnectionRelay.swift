import FlagonLoop

/// Where a connection handed over between workers really comes from, when the socket the
/// new owner holds is not the client's: the client's address, and whether it came over TLS.
struct ConnectionOrigin: Equatable {
    var address: String
    var isSecure: Bool
}

/// Relays a TLS connection that another worker serves: the worker that accepted it keeps its
/// TLS state (which cannot move between processes), and passes the plaintext both ways over
/// a unix socket whose other end the owner adopted. Backpressure either way: a side that
/// cannot keep up stops the other from being read. Either side's end ends the other.
@LoopActor
final class ConnectionRelay: TCPStreamHandler {
    private let client: TCPStream
    private let owner: TCPStream
    /// The sides whose peer has half-closed.
    private var ended: Set<ObjectIdentifier> = []

    /// Starts relaying; the streams keep the relay until both have closed.
    init(client: TCPStream, owner: TCPStream) {
        self.client = client
        self.owner = owner
        client.handler = self
        owner.handler = self
        client.startReading()
        owner.startReading()
    }

    private func other(_ stream: TCPStream) -> TCPStream { stream === client ? owner : client }

    func streamRead(_ stream: TCPStream, _ bytes: UnsafeRawBufferPointer) {
        let other = other(stream)
        other.write(bytes)
        if !other.isWritable { stream.stopReading() }
    }

    func streamWritable(_ stream: TCPStream) { other(stream).startReading() }

    func streamEndOfFile(_ stream: TCPStream) {
        // A half-close passes on; once both sides have ended, both close.
        stream.stopReading()
        ended.insert(ObjectIdentifier(stream))
        let other = other(stream)
        if ended.contains(ObjectIdentifier(other)) {
            client.close()
            owner.close()
        } else {
            other.shutdown()
        }
    }

    func streamClosed(_ stream: TCPStream, error: UVError?) {
        let other = other(stream)
        guard !other.isClosed else { return }
        // Already half-closed (this side ended first): nothing more will come to send.
        if ended.contains(ObjectIdentifier(stream)) { other.close() } else { other.closeGracefully(lingerMilliseconds: 1000) }
    }
}
