import FlagonHTTP

/// Engine.IO v4 packet types. On the wire a text packet is its type digit followed by its data.
public enum EnginePacketType: UInt8, Sendable {
    case open = 0, close = 1, ping = 2, pong = 3, message = 4, upgrade = 5, noop = 6

    /// The ASCII digit of the type.
    @inline(__always)
    public var digit: UInt8 { 48 + rawValue }
}

/// The data of an Engine.IO packet: UTF-8 text or bytes (bytes only for messages).
public enum EngineData: Sendable, Equatable {
    case text([UInt8])
    case binary([UInt8])

    /// The byte count of the data.
    public var count: Int {
        switch self {
        case .text(let bytes), .binary(let bytes): bytes.count
        }
    }
}

/// One Engine.IO v4 packet.
///
/// Wire formats:
/// - WebSocket: a text frame `<type digit><data>`, or a binary frame whose bytes are a message.
/// - Long-polling payload: packets joined by the record separator `\x1e`; a binary message
///   is `b` followed by the standard Base64 of its bytes.
///
/// ```swift
/// try EnginePacket.decodePayload(Array("4hello\u{1e}bAQIDBA==".utf8))
/// // [message "hello", message binary [1, 2, 3, 4]]
/// ```
public struct EnginePacket: Sendable, Equatable {
    public var type: EnginePacketType
    public var data: EngineData

    /// Creates a packet.
    public init(_ type: EnginePacketType, _ data: EngineData = .text([])) {
        self.type = type
        self.data = data
    }

    /// A text message packet.
    public static func message(_ text: String) -> EnginePacket { EnginePacket(.message, .text(Array(text.utf8))) }

    /// The record separator between packets of a polling payload.
    public static let separator: UInt8 = 0x1E

    /// Decodes a WebSocket text frame (or one packet of a payload).
    public static func decodeText(_ bytes: ArraySlice<UInt8>) throws(EngineProtocolError) -> EnginePacket {
        guard let first = bytes.first else { throw .emptyPacket }
        guard first >= 48, let type = EnginePacketType(rawValue: first - 48) else { throw .unknownPacketType(first) }
        return EnginePacket(type, .text(Array(bytes.dropFirst())))
    }

    /// Decodes a WebSocket text frame.
    public static func decodeText(_ bytes: [UInt8]) throws(EngineProtocolError) -> EnginePacket {
        try decodeText(bytes[...])
    }

    /// Decodes a polling payload (`POST` body).
    public static func decodePayload(_ body: [UInt8]) throws(EngineProtocolError) -> [EnginePacket] {
        guard !body.isEmpty else { throw .emptyPacket }
        var packets: [EnginePacket] = []
        for part in body.split(separator: separator, omittingEmptySubsequences: false) {
            if part.first == UInt8(ascii: "b") {
                guard let bytes = Base64.decode(bytes: part.dropFirst()) else { throw .invalidBase64 }
                packets.append(EnginePacket(.message, .binary(bytes)))
            } else {
                packets.append(try decodeText(part))
            }
        }
        return packets
    }

    /// Appends the text form of the packet (`<type><data>`, or `b<base64>` for binary).
    public func write(into out: inout [UInt8]) {
        switch data {
        case .text(let bytes):
            out.append(type.digit)
            out.append(contentsOf: bytes)
        case .binary(let bytes):
            out.append(UInt8(ascii: "b"))
            out.append(contentsOf: Base64.encodeBytes(bytes))
        }
    }

    /// Encodes packets as one polling payload.
    public static func encodePayload(_ packets: some Collection<EnginePacket>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(packets.reduce(0) { $0 + $1.data.count + 2 })
        var first = true
        for packet in packets {
            if !first { out.append(separator) }
            first = false
            packet.write(into: &out)
        }
        return out
    }
}

/// A client broke the Engine.IO protocol; its session closes.
public enum EngineProtocolError: Error, Sendable, Equatable {
    case emptyPacket
    case unknownPacketType(UInt8)
    case invalidBase64
}
