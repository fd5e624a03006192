import FlagonJSON

/// Encodes Socket.IO packets: the text of the packet and its binary attachments (each binary
/// value becomes `{"_placeholder":true,"num":<n>}`, numbered in order of appearance, and
/// the type becomes BINARY_EVENT or BINARY_ACK).
public enum SocketIOEncoder {
    /// An encoded packet.
    public struct Encoded: Sendable, Equatable {
        /// The packet text (without the Engine.IO `4` prefix).
        public var text: [UInt8]
        /// The attachments, sent as binary Engine.IO messages after the text.
        public var attachments: [[UInt8]]
    }

    /// Appends the packet's text to `out` and returns its attachments. Non-finite doubles
    /// are written as `null`.
    public static func encode(_ packet: SocketIOPacket, into out: inout [UInt8]) -> [[UInt8]] {
        var attachments: [[UInt8]] = []
        let typeIndex = out.count
        let afterType = typeIndex + 1
        writeHead(type: packet.type, namespace: packet.namespace, id: packet.id, into: &out)
        if let data = packet.data {
            let mark = out.count
            do {
                try withUnsafeMutablePointer(to: &attachments) { pointer throws(JSONError) in
                    try JSONSerializer.write(data, into: &out, binary: .placeholders(pointer))
                }
            } catch {
                out.removeSubrange(mark...)
                out.append(contentsOf: data.jsonString.utf8)
            }
        }
        if !attachments.isEmpty || packet.type == .binaryEvent || packet.type == .binaryAck {
            // A binary type always announces its count, even 0, so that it decodes back as written.
            var type = packet.type
            if type == .event { type = .binaryEvent } else if type == .ack { type = .binaryAck }
            out[typeIndex] = 48 + type.rawValue
            var count: [UInt8] = []
            JSONSerializer.writeInt(attachments.count, into: &count)
            count.append(UInt8(ascii: "-"))
            out.insert(contentsOf: count, at: afterType)
        }
        return attachments
    }

    /// Appends a packet's head: its type digit, its namespace (unless `/`) and its ack id.
    public static func writeHead(type: SocketIOPacketType, namespace: String, id: Int?, into out: inout [UInt8]) {
        out.append(48 + type.rawValue)
        if namespace != "/" {
            out.append(contentsOf: namespace.utf8)
            out.append(UInt8(ascii: ","))
        }
        if let id { JSONSerializer.writeInt(id, into: &out) }
    }

    /// How many bytes ``writeHead(type:namespace:id:into:)`` writes.
    public static func headLength(namespace: String, id: Int?) -> Int {
        var length = 1
        if namespace != "/" { length += namespace.utf8.count + 1 }
        if var id {
            if id < 0 { length += 1; id = id == Int.min ? Int.max : -id }
            repeat {
                length += 1
                id /= 10
            } while id > 0
        }
        return length
    }

    /// Encodes a packet. Non-finite doubles are written as `null`.
    public static func encode(_ packet: SocketIOPacket) -> Encoded {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        let attachments = encode(packet, into: &out)
        return Encoded(text: out, attachments: attachments)
    }
}
