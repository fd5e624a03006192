import CLibUV

/// TLS on a stream (through ``StreamSecurity``): the handshake's deadline, sealing what is
/// written, opening what is read.
extension TCPStream {
    /// Secures the stream (TLS): from now on, reads are decrypted before they reach the
    /// handler and writes are encrypted. A client's layer may already hold its first flight,
    /// which is sent now. Without an established handshake after `handshakeTimeoutMilliseconds`,
    /// the stream closes (`ETIMEDOUT`). Writes made before the handshake completes wait for it.
    public func secure(with layer: any StreamSecurity, handshakeTimeoutMilliseconds: UInt64? = nil) {
        guard !closed, security == nil else { return }
        security = layer
        if let timeout = handshakeTimeoutMilliseconds {
            let timer = LoopTimer(group: group) { [weak self] in
                guard let self, let security = self.security, !security.isEstablished else { return }
                self.fail(UVError(code: Int32(UV_ETIMEDOUT.rawValue), operation: "TLS handshake"))
            }
            timer.start(afterMilliseconds: timeout)
            handshakeTimer = timer
        }
        if layer.hasWireBytes { scheduleFlush() }
    }

    /// `true` once the stream is secured (``secure(with:handshakeTimeoutMilliseconds:)``).
    public var isSecured: Bool { security != nil }

    /// Seals the application bytes (once the handshake allows it), then sends the wire bytes.
    func flushSecured(_ security: any StreamSecurity) {
        if !closed && security.isEstablished && !outbox.isEmpty {
            do {
                try security.seal(UnsafeRawBufferPointer(outbox.bytes))
            } catch {
                return fail(UVError(code: Int32(UV_EPROTO.rawValue), operation: "TLS: \(error)"))
            }
            outbox.removeAll(keepingCapacity: false)
        }
        if security.hasWireBytes {
            if sealed.isEmpty && inFlight == nil && !closed {
                // Straight from the TLS layer's buffer to the kernel; only what it does not
                // take is copied (no copy, no allocation for the usual small flush).
                var failure: Int32?
                security.takeWireBytes { wire in
                    let sent = tryWrite(wire)
                    if sent < 0 { return failure = Int32(sent) }
                    if sent < wire.count { sealed.append(UnsafeRawBufferPointer(rebasing: wire[sent...])) }
                }
                if let failure { return fail(UVError(code: failure, operation: "write")) }
            } else {
                security.takeWireBytes { sealed.append($0) }
            }
        }
        transmit(sealedBytes: true)
    }

    func readSecured(_ security: any StreamSecurity, _ wire: UnsafeRawBufferPointer) {
        let wasEstablished = security.isEstablished
        do {
            try security.receive(wire) { plain in
                if closed || lingering { return }
                handler?.streamRead(self, plain)
            }
        } catch {
            // The alert that says why goes out before the close, when it can.
            if security.hasWireBytes, !closed {
                security.takeWireBytes { sealed.append($0) }
                _ = send(&sealed)
            }
            return fail(UVError(code: Int32(UV_EPROTO.rawValue), operation: "TLS: \(error)"))
        }
        if !wasEstablished && security.isEstablished {
            handshakeTimer?.close()
            handshakeTimer = nil
        }
        if closed { return }
        if security.hasWireBytes || (security.isEstablished && !outbox.isEmpty) { scheduleFlush() }
    }
}
