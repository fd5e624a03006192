import FlagonHTTP
import FlagonLoop
import FlagonSocketIOCore

/// A Socket.IO packet encoded once for any number of recipients: its WebSocket frames
/// (text frame, then one binary frame per attachment) and its Engine.IO packets for
/// long-polling share the same bytes.
struct OutboundMessage {
    /// How many packets were encoded (tests check that a broadcast is encoded once).
    @LoopActor static var encodings = 0

    let frames: [UInt8]
    let packets: [EnginePacket]

    @LoopActor
    init(_ packet: SocketIOPacket) {
        OutboundMessage.encodings &+= 1
        let encoded = SocketIOEncoder.encode(packet)
        var frames: [UInt8] = []
        frames.reserveCapacity(encoded.text.count + 11 + encoded.attachments.reduce(0) { $0 + $1.count + 10 })
        WebSocketFrame.writeHeader(opcode: .text, length: encoded.text.count + 1, into: &frames)
        frames.append(EnginePacketType.message.digit)
        frames.append(contentsOf: encoded.text)
        var packets = [EnginePacket(.message, .text(encoded.text))]
        for attachment in encoded.attachments {
            WebSocketFrame.writeHeader(opcode: .binary, length: attachment.count, into: &frames)
            frames.append(contentsOf: attachment)
            packets.append(EnginePacket(.message, .binary(attachment)))
        }
        self.frames = frames
        self.packets = packets
    }
}
