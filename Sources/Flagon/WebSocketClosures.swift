import FlagonLoop

/// The handler behind ``WebSocket/onMessage``, ``WebSocket/onClose`` and ``WebSocket/onWritable``.
@LoopActor
final class WebSocketClosures: WebSocketHandler {
    var onMessage: ((WebSocketMessage) -> Void)?
    var onClose: ((_ code: UInt16, _ reason: String) -> Void)?
    var onWritable: (() -> Void)?

    func webSocket(_ webSocket: WebSocket, received bytes: ArraySlice<UInt8>, isText: Bool) {
        guard let onMessage else { return }
        onMessage(isText ? .text(String(decoding: bytes, as: UTF8.self)) : .binary(Array(bytes)))
    }

    func webSocketClosed(_ webSocket: WebSocket, code: UInt16, reason: String) {
        let callback = onClose
        onClose = nil
        onMessage = nil
        onWritable = nil
        callback?(code, reason)
    }

    func webSocketWritable(_ webSocket: WebSocket) { onWritable?() }
}
