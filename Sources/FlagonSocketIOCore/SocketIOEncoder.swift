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
        let start = out.count
        let length = headLength(namespace: namespace, id: id)
        out.append(contentsOf: repeatElement(0, count: length))
        out.withUnsafeMutableBytes { raw in
            _ = writeHead(type: type, namespace: namespace, id: id, length: length, into: UnsafeMutableRawBufferPointer(rebasing: raw[start...]))
        }
    }

    /// Writes a packet's head at the start of `out`, which holds at least
    /// ``headLength(namespace:id:)`` bytes; returns that size.
    public static func writeHead(type: SocketIOPacketType, namespace: String, id: Int?,
                                 into out: UnsafeMutableRawBufferPointer) -> Int {
        writeHead(type: type, namespace: namespace, id: id, length: headLength(namespace: namespace, id: id), into: out)
    }

    /// ``writeHead(type:namespace:id:into:)`` for a caller that has just asked
    /// ``headLength(namespace:id:)``: `length` must be its answer.
    package static func writeHead(type: SocketIOPacketType, namespace: String, id: Int?, length size: Int,
                                  into out: UnsafeMutableRawBufferPointer) -> Int {
        precondition(out.count >= size, "writeHead: no room for the head")
        out[0] = 48 + type.rawValue
        var at = 1
        if namespace != "/" {
            var name = namespace
            name.withUTF8 { utf8 in
                UnsafeMutableRawBufferPointer(rebasing: out[at..<at + utf8.count]).copyMemory(from: UnsafeRawBufferPointer(utf8))
            }
            at += name.utf8.count
            out[at] = UInt8(ascii: ",")
            at += 1
        }
        if let id {
            if id < 0 { out[at] = UInt8(ascii: "-") }
            // The digits, from the last one back.
            var magnitude = UInt64(id.magnitude)
            var end = size
            repeat {
                end -= 1
                let (quotient, digit) = magnitude.quotientAndRemainder(dividingBy: 10)
                out[end] = 48 + UInt8(truncatingIfNeeded: digit)
                magnitude = quotient
            } while magnitude > 0
        }
        return size
    }

    /// How many bytes ``writeHead(type:namespace:id:into:)`` writes.
    public static func headLength(namespace: String, id: Int?) -> Int {
        var length = 1
        if namespace != "/" { length += namespace.utf8.count + 1 }
        if let id {
            if id < 0 { length += 1 }
            length += decimalDigits(UInt64(id.magnitude))
        }
        return length
    }

    /// How many decimal digits `value` has: four at a time, then by comparison.
    @inline(__always)
    static func decimalDigits(_ value: UInt64) -> Int {
        var count = 1
        var rest = value
        while rest >= 10_000 {
            rest /= 10_000
            count += 4
        }
        if rest >= 100 { count += rest >= 1000 ? 3 : 2 } else if rest >= 10 { count += 1 }
        return count
    }

    /// Encodes a packet. Non-finite doubles are written as `null`.
    public static func encode(_ packet: SocketIOPacket) -> Encoded {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        let attachments = encode(packet, into: &out)
        return Encoded(text: out, attachments: attachments)
    }
}
