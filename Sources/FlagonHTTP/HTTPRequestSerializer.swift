/// Writes a parsed request back as HTTP/1.1 bytes that parse to the same request: the
/// request line and header fields as received, the body framed by `Content-Length`
/// (a chunked body is sent de-chunked). `Expect: 100-continue` is left out: the body is
/// already here. Used to hand a connection's unanswered requests to another process.
///
/// ```swift
/// let bytes = HTTPRequestSerializer.serialize(message)
/// // "POST /a?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi"
/// ```
public enum HTTPRequestSerializer {
    /// The bytes of `message`.
    public static func serialize(_ message: HTTPRequestMessage) -> [UInt8] {
        var out: [UInt8] = []
        serialize(message, into: &out)
        return out
    }

    /// Appends the bytes of `message` to `out`.
    public static func serialize(_ message: HTTPRequestMessage, into out: inout [UInt8]) {
        let head = message.head
        out.reserveCapacity(out.count + 256 + message.body.count)
        out += head.method.utf8
        out.append(UInt8(ascii: " "))
        out += head.target.utf8
        out += " HTTP/1.\(head.minorVersion)\r\n".utf8
        for (name, value) in head.headers {
            if HTTPHeaders.equalNames(name, "content-length") || HTTPHeaders.equalNames(name, "transfer-encoding")
                || HTTPHeaders.equalNames(name, "expect") { continue }
            out += name.utf8
            out += ": ".utf8
            out += value.utf8
            out += "\r\n".utf8
        }
        if !message.body.isEmpty || head.headers.contains("content-length") || head.headers.contains("transfer-encoding") {
            out += "Content-Length: \(message.body.count)\r\n".utf8
        }
        out += "\r\n".utf8
        out += message.body
    }
}
