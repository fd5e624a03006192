import FlagonJSON

/// Socket.IO v5 packet types.
public enum SocketIOPacketType: UInt8, Sendable {
    case connect = 0, disconnect = 1, event = 2, ack = 3, connectError = 4, binaryEvent = 5, binaryAck = 6
}

/// One Socket.IO v5 packet, with binary values in place (attachments reassembled).
///
/// Wire format (inside an Engine.IO message): `<type>[<attachments>-][<nsp>,][<ack id>][<JSON>]`,
/// e.g. `2["chat","hi"]`, `21/admin,7["whoami"]`, `451-["up",{"_placeholder":true,"num":0}]`
/// followed by one binary message per attachment. The main namespace `/` is not written.
///
/// ```swift
/// let packet = SocketIOPacket(type: .event, namespace: "/chat", id: 3, data: ["say", "hi"])
/// SocketIOEncoder.encode(packet).text   // Array(#"2/chat,3["say","hi"]"#.utf8)
/// ```
public struct SocketIOPacket: Sendable, Equatable {
    public var type: SocketIOPacketType
    public var namespace: String
    public var id: Int?
    public var data: JSONValue?

    /// Creates a packet.
    public init(type: SocketIOPacketType, namespace: String = "/", id: Int? = nil, data: JSONValue? = nil) {
        self.type = type
        self.namespace = namespace
        self.id = id
        self.data = data
    }

    /// The event name of an EVENT packet.
    public var eventName: String? {
        guard type == .event || type == .binaryEvent, case .array(let items)? = data else { return nil }
        return items.first?.stringValue
    }

    /// The arguments of an EVENT packet (after the name) or an ACK packet.
    public var arguments: [JSONValue] {
        guard case .array(let items)? = data else { return [] }
        return type == .ack || type == .binaryAck ? items : Array(items.dropFirst())
    }
}

/// A client broke the Socket.IO protocol; its connection closes.
public enum SocketIOProtocolError: Error, Sendable, Equatable {
    case emptyPacket
    case unknownPacketType
    case invalidAttachmentCount
    case tooManyAttachments(max: Int)
    case invalidNamespace
    case invalidAckID
    case invalidJSON
    case invalidPayload(String)
    case unexpectedBinary
    case invalidPlaceholder
}
