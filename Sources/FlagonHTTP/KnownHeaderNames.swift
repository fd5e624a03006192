/// Header names longer than Swift's inline strings (15 bytes) that most requests carry: a
/// name spelled exactly like one of these becomes the literal (no allocation), which spares
/// every WebSocket connection two heap strings for as long as its handshake is kept.
package enum KnownHeaderNames {
    // String literals: immortal, stored in the binary, copied without reference counting.
    package static let names: [String] = [
        "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Extensions", "Sec-WebSocket-Protocol",
        "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-protocol",
        "Upgrade-Insecure-Requests", "X-Forwarded-Proto", "Sec-CH-UA-Platform", "Sec-CH-UA-Mobile",
        "Access-Control-Request-Method", "Access-Control-Request-Headers", "Sec-Fetch-User",
    ]

    private static let table = CommonStringTable(names)

    /// The literal spelled exactly as `bytes`, if there is one.
    static func name(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard bytes.count > 15, let code = table.code(bytes) else { return nil }
        return names[Int(code)]
    }
}
