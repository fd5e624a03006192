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
        var namespace = "/"
        if bytes[index] == UInt8(ascii: "/") {
            let start = index
            while index < bytes.count && bytes[index] != UInt8(ascii: ",") { index += 1 }
            guard index < bytes.count, index - start <= 256,
                  let name = text(UnsafeBufferPointer(rebasing: bytes[start..<index])) else { return nil }
            namespace = name
            index += 1
        }
        var ackID: Int?
        let idStart = index
        while index < bytes.count && bytes[index] >= 48 && bytes[index] <= 57 { index += 1 }
        if index > idStart {
            guard index - idStart <= 16 else { return nil }
            var value = 0
            for k in idStart..<index { value = value * 10 + Int(bytes[k] - 48) }
            guard value <= maxAckID else { return nil }
            ackID = value
        }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "[") else { return nil }
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
              let event = text(UnsafeBufferPointer(rebasing: bytes[nameStart..<index])) else { return nil }
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

    /// The bytes as a String, or `nil` when they are not valid UTF-8 (no generic validating
    /// initializer: ASCII, the common case, is checked in one pass).
    private static func text(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        let string = String(decoding: bytes, as: UTF8.self)
        if bytes.allSatisfy({ $0 < 0x80 }) { return string }
        return string.utf8.elementsEqual(bytes) ? string : nil
    }

    private static func skipWhitespace(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) {
        while index < bytes.count, bytes[index] == 32 || bytes[index] == 10 || bytes[index] == 13 || bytes[index] == 9 { index += 1 }
    }
}
