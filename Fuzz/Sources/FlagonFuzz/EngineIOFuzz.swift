import FlagonSocketIOCore

/// Decodes Engine.IO payloads and packets; what decodes must encode back to packets that
/// decode to the same thing.
enum EngineIOFuzz {
    static func run(_ input: [UInt8]) {
        if let packets = try? EnginePacket.decodePayload(input) {
            let encoded = EnginePacket.encodePayload(packets)
            let again = try? EnginePacket.decodePayload(encoded)
            check(again == packets, "payload round trip changed the packets")
        }
        if let packet = try? EnginePacket.decodeText(input) {
            var out: [UInt8] = []
            packet.write(into: &out)
            if case .text = packet.data {
                check((try? EnginePacket.decodeText(out)) == packet, "packet round trip changed the packet")
            }
        }
    }
}
