/// The handler behind ``TCPStream/onRead`` and the other closures.
@LoopActor
final class TCPStreamClosures: TCPStreamHandler {
    var onRead: ((UnsafeRawBufferPointer) -> Void)?
    var onEndOfFile: (() -> Void)?
    var onClose: ((UVError?) -> Void)?
    var onWritable: (() -> Void)?

    func streamRead(_ stream: TCPStream, _ bytes: UnsafeRawBufferPointer) { onRead?(bytes) }

    func streamEndOfFile(_ stream: TCPStream) {
        if let onEndOfFile { onEndOfFile() } else { stream.close() }
    }

    func streamClosed(_ stream: TCPStream, error: UVError?) {
        let callback = onClose
        onRead = nil
        onEndOfFile = nil
        onClose = nil
        onWritable = nil
        callback?(error)
    }

    func streamWritable(_ stream: TCPStream) { onWritable?() }
}
