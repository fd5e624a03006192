/// Receives a ``TCPStream``'s events.
@LoopActor
public protocol TCPStreamHandler: AnyObject {
    /// Bytes arrived; valid only during the call.
    func streamRead(_ stream: TCPStream, _ bytes: UnsafeRawBufferPointer)
    /// The peer half-closed.
    func streamEndOfFile(_ stream: TCPStream)
    /// libuv closed the stream.
    func streamClosed(_ stream: TCPStream, error: UVError?)
    /// The write queue drained after exceeding the high-water mark.
    func streamWritable(_ stream: TCPStream)
}
