/// The head of a text EVENT packet, read without parsing its JSON: for events whose
/// handler passes the arguments on unparsed.
///
/// ```
/// 2/chat,17["say",{"text":"hi"}]
/// ^ type  ^ ack id, then the JSON array: the event name, then the arguments' text
/// ```
///
/// `scan` returns `nil` for anything else (binary events, other types, an event name with
/// escapes, a malformed head): the full decoder then takes the packet and reports its errors.
/// The JSON is not checked here; the caller validates it before using it.
public struct SocketIOEventHead: Sendable, Equatable {
    /// The namespace (`/` when absent).
    public let namespace: String
    /// The ack id, when the client asked for an ack.
    public let ackID: Int?
    /// The event name.
    public let event: String
    /// Where the JSON array starts (its `[`).
    public let jsonStart: Int
    /// Where the arguments' text starts (after the event name and its comma), or `nil`
    /// when the array holds only the name.
    public let argumentsStart: Int?

    /// Reads the head of `bytes` (the packet text, without the Engine.IO `4`).
    public static func scan(_ bytes: UnsafeBufferPointer<UInt8>, maxAckID: Int = 9_007_199_254_740_991) -> SocketIOEventHead? {
        guard bytes.count > 3, bytes[0] == UInt8(ascii: "2") else { return nil }
        var index = 1
        // The decoder's own reading of the head: the two never disagree on it.
        guard let (namespace, ackID) = try? SocketIODecoder.readNamespaceAndID(bytes, at: &index, maxAckID: maxAckID),
              index < bytes.count, bytes[index] == UInt8(ascii: "[") else { return nil }
        let jsonStart = index
        index += 1
        skipWhitespace(bytes, &index)
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
        index += 1
        let nameStart = index
        // A plain name only (no escapes, no control characters): anything else goes the long way.
        while index < bytes.count && bytes[index] != UInt8(ascii: "\"") {
            guard bytes[index] >= 32, bytes[index] != UInt8(ascii: "\\") else { return nil }
            index += 1
        }
        guard index < bytes.count,
              let event = SocketIODecoder.utf8String(UnsafeBufferPointer(rebasing: bytes[nameStart..<index])) else { return nil }
        index += 1
        skipWhitespace(bytes, &index)
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: ","):
            return SocketIOEventHead(namespace: namespace, ackID: ackID, event: event, jsonStart: jsonStart, argumentsStart: index + 1)
        case UInt8(ascii: "]"):
            return SocketIOEventHead(namespace: namespace, ackID: ackID, event: event, jsonStart: jsonStart, argumentsStart: nil)
        default:
            return nil
        }
    }

    private static func skipWhitespace(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) {
        while index < bytes.count, bytes[index] == 32 || bytes[index] == 10 || bytes[index] == 13 || bytes[index] == 9 { index += 1 }
    }
}
