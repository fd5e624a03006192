import CSSL

/// One TLS connection, sans-IO: bytes from the wire go in through ``receive(_:deliver:)``
/// and come out as application bytes; application bytes go in through ``seal(_:)``; what
/// must go on the wire (handshake messages, records, alerts) is taken with
/// ``takeWireBytes(_:)``. OpenSSL works on two memory BIOs, so nothing here blocks or
/// touches a socket.
///
/// ```swift
/// let server = TLSEngine(context: serverContext)
/// try server.receive(clientHello) { plaintext in handle(plaintext) }
/// server.takeWireBytes { wire in socket.write(wire) }
/// ```
public final class TLSEngine {
    private let ssl: OpaquePointer
    private let incoming: OpaquePointer
    private let outgoing: OpaquePointer
    // Keeps the context (and those chosen by SNI through it) alive as long as the connection.
    private let context: TLSContext
    /// `true` once the handshake has completed: application bytes can be sealed.
    public private(set) var isEstablished = false
    /// `true` once the peer sent close_notify.
    public private(set) var peerClosed = false
    private var failed = false

    /// A connection in `context`'s role. A client names the server it expects (`serverName`:
    /// SNI and the host name its certificate must carry when the context verifies peers).
    public init(context: TLSContext, serverName: String? = nil) {
        self.context = context
        ssl = SSL_new(context.pointer)
        incoming = BIO_new(BIO_s_mem())
        outgoing = BIO_new(BIO_s_mem())
        // An empty incoming BIO means "wait for more", not end of file.
        _ = flagon_bio_set_eof_return(incoming, -1)
        _ = flagon_bio_set_eof_return(outgoing, -1)
        SSL_set_bio(ssl, incoming, outgoing)
        if context.isClient {
            if let serverName {
                _ = flagon_ssl_set_server_name(ssl, serverName)
                if isIPAddress(serverName) {
                    _ = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName)
                } else {
                    _ = SSL_set1_host(ssl, serverName)
                }
            }
            SSL_set_connect_state(ssl)
        } else {
            SSL_set_accept_state(ssl)
        }
    }

    deinit { SSL_free(ssl) }   // frees both BIOs

    /// A client's first flight (its ClientHello), ready in ``takeWireBytes(_:)``.
    public func startHandshake() throws(TLSError) {
        try advanceHandshake()
    }

    /// Takes bytes read from the wire; calls `deliver` with each run of application bytes
    /// they complete (valid only during the call). Throws when the peer's bytes are not
    /// acceptable TLS; the alert that says so is then in ``takeWireBytes(_:)``.
    public func receive(_ wire: UnsafeRawBufferPointer, deliver: (UnsafeRawBufferPointer) -> Void) throws(TLSError) {
        if failed { throw TLSError("connection already failed") }
        if wire.count > 0 {
            let written = BIO_write(incoming, wire.baseAddress, Int32(wire.count))
            if written != Int32(wire.count) { throw fail(.openSSL("buffering received bytes")) }
        }
        if !isEstablished {
            try advanceHandshake()
            if !isEstablished { return }
        }
        try readApplicationBytes(deliver)
    }

    /// Encrypts application bytes; the records are then in ``takeWireBytes(_:)``. Only
    /// once ``isEstablished``.
    public func seal(_ plain: UnsafeRawBufferPointer) throws(TLSError) {
        guard isEstablished, !failed else { throw TLSError("sealing before the handshake completed") }
        var offset = 0
        while offset < plain.count {
            let chunk = min(plain.count - offset, 1 << 30)
            ERR_clear_error()
            let result = SSL_write(ssl, plain.baseAddress! + offset, Int32(chunk))
            if result <= 0 { throw fail(.openSSL("encrypting")) }
            offset += Int(result)
        }
    }

    /// `true` when bytes wait to go on the wire.
    public var hasWireBytes: Bool { flagon_bio_pending(outgoing) > 0 }

    /// Hands the bytes waiting for the wire to `body` (valid only during the call), then
    /// forgets them.
    public func takeWireBytes(_ body: (UnsafeRawBufferPointer) -> Void) {
        var data: UnsafeMutablePointer<CChar>?
        let count = flagon_bio_mem_data(outgoing, &data)
        guard count > 0, let data else { return }
        body(UnsafeRawBufferPointer(start: data, count: count))
        _ = flagon_bio_reset(outgoing)
    }

    /// Queues a close_notify alert (the polite end of a TLS connection).
    public func closeNotify() {
        guard isEstablished, !failed else { return }
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    /// The negotiated protocol version (`TLSv1.3`), once established.
    public var protocolVersion: String { String(cString: SSL_get_version(ssl)) }

    /// The protocol ALPN chose, if any.
    public var negotiatedProtocol: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    private func advanceHandshake() throws(TLSError) {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            isEstablished = true
            return
        }
        let error = SSL_get_error(ssl, result)
        if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { return }
        let verification = SSL_get_verify_result(ssl)
        if context.isClient && verification != X509_V_OK {
            let reason = String(cString: X509_verify_cert_error_string(Int(verification)))
            ERR_clear_error()
            throw fail(TLSError("certificate verification failed: \(reason)"))
        }
        throw fail(.openSSL("handshake"))
    }

    private func readApplicationBytes(_ deliver: (UnsafeRawBufferPointer) -> Void) throws(TLSError) {
        // On the stack: idle connections hold no read buffer. The records that arrived
        // together are delivered together (up to 16 KB at a time), as a plain stream's read
        // would be: one pass of the parsers above for a batch of small messages.
        try withUnsafeTemporaryAllocation(byteCount: 16 * 1024, alignment: 16) { (buffer) throws(TLSError) in
            var filled = 0
            func flush() {
                if filled > 0 { deliver(UnsafeRawBufferPointer(start: buffer.baseAddress, count: filled)) }
                filled = 0
            }
            // The error queue is empty from here on unless a call fails, which ends the loop.
            ERR_clear_error()
            while true {
                let count = SSL_read(ssl, buffer.baseAddress! + filled, Int32(buffer.count - filled))
                if count > 0 {
                    filled += Int(count)
                    if filled == buffer.count { flush() }
                    // Nothing left to decrypt, buffered or received: the next read would
                    // only say so (one call into OpenSSL fewer per batch).
                    if flagon_bio_pending(incoming) == 0 && SSL_pending(ssl) == 0 {
                        flush()
                        return
                    }
                    continue
                }
                flush()
                let error = SSL_get_error(ssl, count)
                if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { return }
                if error == SSL_ERROR_ZERO_RETURN {
                    peerClosed = true
                    return
                }
                throw fail(.openSSL("reading"))
            }
        }
    }

    private func fail(_ error: TLSError) -> TLSError {
        failed = true
        return error
    }
}

private func isIPAddress(_ host: String) -> Bool {
    host.contains(":") || host.allSatisfy { $0 == "." || $0.isASCII && $0.isNumber }
}
