import FlagonLoop
import FlagonSocketIOCore

/// Receives what an ``EngineSession`` delivers (the Socket.IO layer implements it).
@LoopActor
public protocol EngineSessionHandler: AnyObject {
    /// A message (text or binary).
    func engineSession(_ session: EngineSession, received data: EngineData)
    /// A text message that arrived over WebSocket, as a slice of its frame.
    func engineSession(_ session: EngineSession, receivedText text: ArraySlice<UInt8>)
    /// The session ended.
    func engineSession(_ session: EngineSession, closedWith reason: EngineCloseReason)
    /// The session moved from long-polling to WebSocket.
    func engineSessionUpgraded(_ session: EngineSession)
}

extension EngineSessionHandler {
    /// Nothing to do by default.
    public func engineSessionUpgraded(_ session: EngineSession) {}
}

/// The handler behind ``EngineSession/onMessage`` and ``EngineSession/onClose``.
@LoopActor
final class EngineSessionClosures: EngineSessionHandler {
    var onMessage: ((EngineData) -> Void)?
    var onClose: ((EngineCloseReason) -> Void)?

    func engineSession(_ session: EngineSession, received data: EngineData) { onMessage?(data) }

    func engineSession(_ session: EngineSession, receivedText text: ArraySlice<UInt8>) { onMessage?(.text(Array(text))) }

    func engineSession(_ session: EngineSession, closedWith reason: EngineCloseReason) {
        let callback = onClose
        onClose = nil
        onMessage = nil
        callback?(reason)
    }
}
