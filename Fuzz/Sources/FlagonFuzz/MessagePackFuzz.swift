import FlagonMessagePack
import FlagonSocketIOCore

/// Reads MessagePack; what reads is written, must read back, and must write the same bytes
/// again (bytes are compared, not values: a NaN is not equal to itself). A value that is a
/// valid Socket.IO packet (the msgpack parser's format) must survive the same round trip.
enum MessagePackFuzz {
    static func run(_ input: [UInt8]) {
        guard let value = try? MessagePackReader.decode(input, maxDepth: 32) else { return }
        let written = MessagePackWriter.encode(value)
        guard let again = try? MessagePackReader.decode(written, maxDepth: 32) else {
            return check(false, "written MessagePack does not read back: \(value)")
        }
        check(MessagePackWriter.encode(again) == written, "writing is not stable for \(value)")
        guard let packet = try? SocketIOPacket(messagePack: value) else { return }
        let packetBytes = MessagePackWriter.encode(packet.messagePackValue)
        guard let decoded = try? MessagePackReader.decode(packetBytes), let reread = try? SocketIOPacket(messagePack: decoded) else {
            return check(false, "a written packet does not read back: \(packet)")
        }
        check(MessagePackWriter.encode(reread.messagePackValue) == packetBytes, "packet writing is not stable for \(packet)")
    }
}
