import FlagonJSON

/// Decodes the Socket.IO packets of one connection, reassembling binary packets from the
/// attachments that follow them. Stateful: a binary packet waits for its attachments.
///
/// ```swift
/// var decoder = SocketIODecoder()
/// try decoder.receive(text: Array(#"451-["up",{"_placeholder":true,"num":0}]"#.utf8))   // nil: waiting
/// try decoder.receive(binary: [1, 2, 3])   // the event "up" with .binary([1, 2, 3])
/// ```
public struct SocketIODecoder: Sendable {
    /// Most attachments one packet may announce (default 10).
    public var maxAttachments: Int
    /// Largest ack id accepted (default 2^53 - 1, JavaScript's safe integers).
    public var maxAckID: Int
    /// A binary packet waiting for its attachments: what it awaits.
    private struct Awaited: Sendable {
        var packet: SocketIOPacket
        let expected: Int
        var attachments: [[UInt8]]
    }

    /// The binary packet waiting, if any (at most one element: an empty array keeps an
    /// idle decoder small).
    private var awaited: [Awaited] = []
    /// `true` when decoding what a server sends (a client's view): CONNECT_ERROR is then valid.
    /// (Last: what follows the decoder may share its word.)
    public var decodesServerPackets: Bool

    /// Creates a decoder with limits.
    public init(maxAttachments: Int = 10, maxAckID: Int = 9_007_199_254_740_991, decodesServerPackets: Bool = false) {
        self.maxAttachments = maxAttachments
        self.maxAckID = maxAckID
        self.decodesServerPackets = decodesServerPackets
    }

    /// `true` while a binary packet waits for attachments.
    public var isAwaitingAttachments: Bool { !awaited.isEmpty }

    /// Takes a text message; returns the packet, or `nil` while attachments are awaited.
    public mutating func receive(text: [UInt8]) throws(SocketIOProtocolError) -> SocketIOPacket? {
        try receive(text: text[...])
    }

    /// Takes a text message given as a slice (no copy); returns the packet, or `nil` while
    /// attachments are awaited.
    public mutating func receive(text: ArraySlice<UInt8>) throws(SocketIOProtocolError) -> SocketIOPacket? {
        if !awaited.isEmpty { throw .invalidPayload("text packet while binary attachments are awaited") }
        let (packet, count) = try Self.parse(text, maxAttachments: maxAttachments, maxAckID: maxAckID, fromServer: decodesServerPackets)
        if count == 0 { return packet }
        var attachments: [[UInt8]] = []
        attachments.reserveCapacity(count)
        awaited = [Awaited(packet: packet, expected: count, attachments: attachments)]
        return nil
    }

    /// Takes a binary message (an attachment).
    public mutating func receive(binary: [UInt8]) throws(SocketIOProtocolError) -> SocketIOPacket? {
        guard !awaited.isEmpty else { throw .unexpectedBinary }
        awaited[0].attachments.append(binary)
        guard awaited[0].attachments.count == awaited[0].expected else { return nil }
        var packet = awaited[0].packet
        let attachments = awaited[0].attachments
        awaited = []
        var used = [Bool](repeating: false, count: attachments.count)
        if let data = packet.data { packet.data = try Self.fill(data, attachments, &used) }
        // An attachment the data never refers to could not be written back: refuse it.
        if used.contains(false) { throw .invalidPlaceholder }
        return packet
    }

    private static func fill(_ value: JSONValue, _ attachments: [[UInt8]],
                             _ used: inout [Bool]) throws(SocketIOProtocolError) -> JSONValue {
        switch value {
        case .array(let items):
            var out: [JSONValue] = []
            out.reserveCapacity(items.count)
            for item in items { out.append(try fill(item, attachments, &used)) }
            return .array(out)
        case .object(let object):
            if object.count == 2, object["_placeholder"] == .bool(true), let num = object["num"] {
                // Each attachment exactly once: the encoder writes one per binary value, and
                // an attachment referenced many times would multiply when sent on.
                guard let index = num.intValue, attachments.indices.contains(index), !used[index] else { throw .invalidPlaceholder }
                used[index] = true
                return .binary(attachments[index])
            }
            var out = JSONObject()
            for member in object { out[member.key] = try fill(member.value, attachments, &used) }
            return .object(out)
        default:
            return value
        }
    }

    /// Parses the text of a packet; returns it with its announced attachment count.
    public static func parse(_ bytes: [UInt8], maxAttachments: Int = 10, maxAckID: Int = 9_007_199_254_740_991,
                             fromServer: Bool = false) throws(SocketIOProtocolError) -> (SocketIOPacket, Int) {
        try parse(bytes[...], maxAttachments: maxAttachments, maxAckID: maxAckID, fromServer: fromServer)
    }

    /// Parses the text of a packet given as a slice.
    public static func parse(_ slice: ArraySlice<UInt8>, maxAttachments: Int = 10, maxAckID: Int = 9_007_199_254_740_991,
                             fromServer: Bool = false) throws(SocketIOProtocolError) -> (SocketIOPacket, Int) {
        try slice.withUnsafeBufferPointer { bytes throws(SocketIOProtocolError) in
            try parse(buffer: bytes, maxAttachments: maxAttachments, maxAckID: maxAckID, fromServer: fromServer)
        }
    }

    private static func parse(buffer bytes: UnsafeBufferPointer<UInt8>, maxAttachments: Int, maxAckID: Int,
                              fromServer: Bool) throws(SocketIOProtocolError) -> (SocketIOPacket, Int) {
        guard let first = bytes.first else { throw .emptyPacket }
        guard first >= 48, let type = SocketIOPacketType(rawValue: first - 48) else { throw .unknownPacketType }
        var index = 1
        var attachmentCount = 0
        if type == .binaryEvent || type == .binaryAck {
            let digitsStart = index
            while index < bytes.count && bytes[index] >= 48 && bytes[index] <= 57 { index += 1 }
            guard index > digitsStart, index - digitsStart <= 6, index < bytes.count, bytes[index] == UInt8(ascii: "-") else {
                throw .invalidAttachmentCount
            }
            var count = 0
            for k in digitsStart..<index { count = count * 10 + Int(bytes[k] - 48) }
            guard count <= maxAttachments else { throw .tooManyAttachments(max: maxAttachments) }
            attachmentCount = count
            index += 1
        }
        let (namespace, id) = try readNamespaceAndID(bytes, at: &index, maxAckID: maxAckID)
        var data: JSONValue?
        if index < bytes.count {
            do {
                data = try JSONValue.parse(UnsafeBufferPointer(rebasing: bytes[index...]))
            } catch {
                throw .invalidJSON
            }
        }
        let packet = SocketIOPacket(type: type, namespace: namespace, id: id, data: data)
        try validate(packet, fromServer: fromServer)
        return (packet, attachmentCount)
    }

    /// Reads what follows a packet's type (and attachment count): the namespace, `/` when
    /// absent (at most 256 bytes of UTF-8, up to its comma), then the ack id, if any.
    static func readNamespaceAndID(_ bytes: UnsafeBufferPointer<UInt8>, at index: inout Int,
                                   maxAckID: Int) throws(SocketIOProtocolError) -> (namespace: String, id: Int?) {
        let (range, id) = try readNamespaceRangeAndID(bytes, at: &index, maxAckID: maxAckID)
        guard let range else { return ("/", id) }
        return (String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self), id)
    }

    /// ``readNamespaceAndID(_:at:maxAckID:)`` without making a string: where the namespace's
    /// bytes are (`nil` for `/`), checked as UTF-8.
    static func readNamespaceRangeAndID(_ bytes: UnsafeBufferPointer<UInt8>, at index: inout Int,
                                        maxAckID: Int) throws(SocketIOProtocolError) -> (namespace: Range<Int>?, id: Int?) {
        var namespace: Range<Int>?
        if index < bytes.count && bytes[index] == UInt8(ascii: "/") {
            let start = index
            while index < bytes.count && bytes[index] != UInt8(ascii: ",") { index += 1 }
            guard index - start <= 256, isUTF8(UnsafeBufferPointer(rebasing: bytes[start..<index])) else {
                throw .invalidNamespace
            }
            namespace = start..<index
            if index < bytes.count { index += 1 }   // the comma
        }
        return (namespace, try readAckID(bytes, at: &index, maxAckID: maxAckID))
    }

    /// The ack id at `index`, if digits are there: at most 16 of them, at most `maxAckID`.
    @inline(__always)
    static func readAckID(_ bytes: UnsafeBufferPointer<UInt8>, at index: inout Int, maxAckID: Int) throws(SocketIOProtocolError) -> Int? {
        let idStart = index
        var value = 0
        while index < bytes.count, case let digit = bytes[index] &- 48, digit < 10 {
            guard index - idStart < 16 else { throw .invalidAckID }
            value = value &* 10 &+ Int(digit)
            index += 1
        }
        guard index > idStart else { return nil }
        guard value <= maxAckID else { throw .invalidAckID }
        return value
    }

    /// Whether the bytes are valid UTF-8 (ASCII, the common case, in one pass).
    static func isUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in bytes where byte >= 0x80 { return utf8String(bytes) != nil }
        return true
    }

    /// The bytes as a String, or `nil` when they are not valid UTF-8 (without the generic
    /// validating initializer: ASCII, the common case, is checked in one pass).
    static func utf8String(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        let string = String(decoding: bytes, as: UTF8.self)
        if bytes.allSatisfy({ $0 < 0x80 }) { return string }
        return string.utf8.elementsEqual(bytes) ? string : nil
    }

    private static func validate(_ packet: SocketIOPacket, fromServer: Bool) throws(SocketIOProtocolError) {
        switch packet.type {
        case .connect:
            if let data = packet.data, data.objectValue == nil { throw .invalidPayload("CONNECT payload must be an object") }
            if packet.id != nil { throw .invalidAckID }
        case .disconnect:
            if packet.data != nil || packet.id != nil { throw .invalidPayload("DISCONNECT carries no data") }
        case .event, .binaryEvent:
            guard case .array(let items)? = packet.data, let name = items.first, name.stringValue != nil else {
                throw .invalidPayload("EVENT data must be a non-empty array starting with the event name")
            }
        case .ack, .binaryAck:
            guard packet.id != nil else { throw .invalidAckID }
            guard case .array? = packet.data else { throw .invalidPayload("ACK data must be an array") }
        case .connectError:
            guard fromServer, packet.data?.objectValue != nil else { throw .invalidPayload("clients do not send CONNECT_ERROR") }
        }
    }
}
