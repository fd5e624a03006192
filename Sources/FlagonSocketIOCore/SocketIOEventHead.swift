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
        guard let span = SocketIOEventSpan.scan(bytes, maxAckID: maxAckID) else { return nil }
        func string(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }
        return SocketIOEventHead(namespace: span.namespace.map(string) ?? "/", ackID: span.ackID, event: string(span.event),
                                 jsonStart: span.jsonStart, argumentsStart: span.argumentsStart)
    }
}
