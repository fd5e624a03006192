/// A layer between a stream's socket and its handler that turns wire bytes into application
/// bytes and back: TLS (FlagonTLS's `TLSEngine`). Sans-IO: ``TCPStream`` feeds it what it
/// reads and sends what it produces.
public protocol StreamSecurity: AnyObject {
    /// `true` once the handshake has completed and application bytes can be sealed.
    var isEstablished: Bool { get }
    /// Takes bytes read from the wire; calls `deliver` with the application bytes they
    /// complete. Throws when the bytes are not acceptable; the stream then closes.
    func receive(_ wire: UnsafeRawBufferPointer, deliver: (UnsafeRawBufferPointer) -> Void) throws
    /// Encrypts application bytes for the wire.
    func seal(_ plain: UnsafeRawBufferPointer) throws
    /// `true` when bytes wait to go on the wire.
    var hasWireBytes: Bool { get }
    /// Hands over the bytes waiting for the wire (valid only during the call) and forgets them.
    func takeWireBytes(_ body: (UnsafeRawBufferPointer) -> Void)
    /// Queues the layer's polite end (a TLS close_notify).
    func closeNotify()
}
