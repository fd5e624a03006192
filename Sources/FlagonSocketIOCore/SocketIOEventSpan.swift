/// Where the parts of a text EVENT packet's head lie in its bytes: what ``SocketIOEventHead``
/// reads, as offsets, so that nothing is allocated or copied per message.
///
/// ```
/// 2/chat,17["say",{"text":"hi"}]
///  ^^^^^ namespace   ^^^ event (between the quotes)
/// ```
///
/// The namespace and the event name are checked as UTF-8; the JSON is not checked here.
public struct SocketIOEventSpan: Sendable, Equatable {
    /// The namespace's bytes, or `nil` when absent (the namespace is `/`).
    public let namespace: Range<Int>?
    /// The ack id, when the client asked for an ack.
    public let ackID: Int?
    /// The event name's bytes (between its quotes; no escapes).
    public let event: Range<Int>
    /// Where the JSON array starts (its `[`).
    public let jsonStart: Int
    /// Where the arguments' text starts (after the event name and its comma), or `nil`
    /// when the array holds only the name.
    public let argumentsStart: Int?

    /// Reads the head of `bytes` (the packet text, without the Engine.IO `4`); `nil` for
    /// anything but a text EVENT with a plain event name (``SocketIOEventHead/scan(_:maxAckID:)``).
    public static func scan(_ bytes: UnsafeBufferPointer<UInt8>, maxAckID: Int = 9_007_199_254_740_991) -> SocketIOEventSpan? {
        guard bytes.count > 3, bytes[0] == UInt8(ascii: "2") else { return nil }
        var index = 1
        var namespace: Range<Int>?
        let ackID: Int?
        // The decoder's own reading of the head: the two never disagree on it. The common head
        // (no namespace) goes straight to the ack id.
        do {
            if bytes[1] == UInt8(ascii: "/") {
                (namespace, ackID) = try SocketIODecoder.readNamespaceRangeAndID(bytes, at: &index, maxAckID: maxAckID)
            } else {
                ackID = try SocketIODecoder.readAckID(bytes, at: &index, maxAckID: maxAckID)
            }
        } catch {
            return nil
        }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "[") else { return nil }
        let jsonStart = index
        index += 1
        skipWhitespace(bytes, &index)
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
        index += 1
        let nameStart = index
        // A plain name only (no escapes, no control characters): anything else goes the long way.
        var ascii = true
        while index < bytes.count && bytes[index] != UInt8(ascii: "\"") {
            let byte = bytes[index]
            guard byte >= 32, byte != UInt8(ascii: "\\") else { return nil }
            if byte >= 0x80 { ascii = false }
            index += 1
        }
        guard index < bytes.count else { return nil }
        let event = nameStart..<index
        if !ascii && !SocketIODecoder.isUTF8(UnsafeBufferPointer(rebasing: bytes[event])) { return nil }
        index += 1
        skipWhitespace(bytes, &index)
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: ","):
            return SocketIOEventSpan(namespace: namespace, ackID: ackID, event: event, jsonStart: jsonStart, argumentsStart: index + 1)
        case UInt8(ascii: "]"):
            return SocketIOEventSpan(namespace: namespace, ackID: ackID, event: event, jsonStart: jsonStart, argumentsStart: nil)
        default:
            return nil
        }
    }

    private static func skipWhitespace(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) {
        while index < bytes.count, bytes[index] == 32 || bytes[index] == 10 || bytes[index] == 13 || bytes[index] == 9 { index += 1 }
    }
}
