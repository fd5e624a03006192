import FlagonSocketIOCore

/// The messages a WebSocket session holds while its socket cannot take more
/// (``HeldMessageQueue``), sent when the socket drains.
extension EngineSession {
    var held: HeldMessageQueue {
        _read { if let side { yield side.held } else { yield HeldMessageQueue() } }
        _modify { yield &sideState.held }
    }
    /// Messages held and not yet written.
    var heldCount: Int { side?.held.count ?? 0 }

    /// Forgets every held message (nothing to do when none was ever held).
    func dropHeld() {
        side?.held.removeAll()
    }

    /// Writes held messages while the WebSocket takes them.
    func flushHeld() {
        guard let webSocket else { return }
        while heldCount > 0 && webSocket.isWritable && isOpen, let message = held.popFirst() {
            webSocket.send(frames: message.frames, from: message.offset)
        }
    }

    /// `true` when a message sent now goes out at once (a volatile one is not dropped).
    public var isWritable: Bool {
        if let webSocket { return heldCount == 0 && webSocket.isWritable }
        return pendingPoll != nil
    }
}
