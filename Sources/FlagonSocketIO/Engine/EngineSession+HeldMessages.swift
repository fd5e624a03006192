import Flagon
import FlagonHTTP
import FlagonJSON
import FlagonLoop
import FlagonSocketIOCore

/// The messages a WebSocket session holds while its socket cannot take more: room made for
/// new ones by the slow-consumer policy, and the queue sent when the socket drains.
extension EngineSession {
    /// Frees room for one more message until `fits`, as the overflow action says (asked
    /// once); a message that is not droppable (an ack, a CONNECT reply) is never dropped:
    /// when nothing else can go, the session closes.
    func makeRoom(droppable: Bool, overflow: () -> OverflowAction, dropOldest: () -> Bool,
                          fits: () -> Bool) -> Room {
        var dropped = 0
        var action: OverflowAction?
        while !fits() {
            if action == nil { action = overflow() }
            let droppedOld: Bool
            switch action! {
            case .disconnect: droppedOld = false
            case .dropNewest:
                if droppable { return .dropThis(dropped: dropped) }
                droppedOld = dropOldest()
            case .dropOldest:
                droppedOld = dropOldest()
                if !droppedOld && droppable { return .dropThis(dropped: dropped) }
            }
            guard droppedOld else {
                close(reason: .bufferFull)
                return .closed
            }
            dropped += 1
        }
        return .fits(dropped: dropped)
    }

    /// A message waiting for a WebSocket whose send buffer is full.
    struct HeldMessage {
        let frames: [UInt8]
        let offset: Int
        let droppable: Bool
        var size: Int { frames.count - offset }
    }

    var held: [HeldMessage] {
        _read { if let side { yield side.held } else { yield [] } }
        _modify { yield &sideState.held }
    }
    var heldHead: Int {
        get { side?.heldHead ?? 0 }
        set { if newValue != 0 || side != nil { sideState.heldHead = newValue } }
    }
    var heldBytes: Int {
        get { side?.heldBytes ?? 0 }
        set { if newValue != 0 || side != nil { sideState.heldBytes = newValue } }
    }
    /// Messages held and not yet written.
    var heldCount: Int {
        guard let side else { return 0 }
        return side.held.count - side.heldHead
    }

    /// Forgets every held message (nothing to do when none was ever held).
    func dropHeld() {
        guard let side else { return }
        side.held = []
        side.heldHead = 0
        side.heldBytes = 0
    }

    func dropOldestHeld() -> Bool {
        guard let index = held[heldHead...].firstIndex(where: \.droppable) else { return false }
        heldBytes -= held[index].size
        held.remove(at: index)
        return true
    }

    /// Writes held messages while the WebSocket takes them.
    func flushHeld() {
        guard let webSocket else { return }
        while heldHead < held.count && webSocket.isWritable && isOpen {
            let message = held[heldHead]
            heldHead += 1
            heldBytes -= message.size
            webSocket.send(frames: message.frames, from: message.offset)
        }
        if heldCount == 0 {
            dropHeld()
        } else if heldHead > 256 {
            held.removeFirst(heldHead)
            heldHead = 0
        }
    }

    /// `true` when a message sent now goes out at once (a volatile one is not dropped).
    public var isWritable: Bool {
        if let webSocket { return heldCount == 0 && webSocket.isWritable }
        return pendingPoll != nil
    }
}
