import FlagonCompression
import FlagonHTTP
import FlagonLoop

/// Receives a ``WebSocket``'s messages (text already checked to be UTF-8) and its close.
@LoopActor
public protocol WebSocketHandler: AnyObject {
    /// A complete message, as a slice valid during the call (copy it to keep it).
    func webSocket(_ webSocket: WebSocket, received bytes: ArraySlice<UInt8>, isText: Bool)
    /// The connection ended, with its close code.
    func webSocketClosed(_ webSocket: WebSocket, code: UInt16, reason: String)
    /// The client's queue drained after exceeding its high-water mark (default: nothing).
    func webSocketWritable(_ webSocket: WebSocket)
}

extension WebSocketHandler {
    public func webSocketWritable(_ webSocket: WebSocket) {}
}
extension App {
    /// Adds a WebSocket route.
    ///
    /// ```swift
    /// app.websocket("/echo") { ws in ws.onMessage = { if case .text(let t) = $0 { ws.send(text: t) } } }
    /// ```
    public func websocket(_ pattern: String, maxMessageBytes: Int = 16 * 1024 * 1024, compression: WebSocketCompression? = nil,
                          _ open: @escaping @LoopActor @Sendable (WebSocket) -> Void) {
        get(pattern) { request in
            try WebSocket.upgrade(request, maxMessageBytes: maxMessageBytes, compression: compression, open: open)
        }
    }
}
