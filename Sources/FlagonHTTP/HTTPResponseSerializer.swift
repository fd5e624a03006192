/// Writes HTTP/1.1 responses: the status line, header fields, and a body framed by
/// `Content-Length` or by chunked transfer coding.
///
/// ```swift
/// var out: [UInt8] = []
/// HTTPResponseSerializer.writeHead(status: 200, headers: ["Content-Type": "text/plain"],
///     framing: .contentLength(2), keepAlive: true, date: "Sun, 06 Nov 1994 08:49:37 GMT", into: &out)
/// out += Array("hi".utf8)
/// ```
public enum HTTPResponseSerializer {
    /// How the body that follows the head is delimited.
    public enum Framing: Sendable, Equatable {
        /// Exactly this many bytes follow (also sent for `HEAD`, with no body).
        case contentLength(Int)
        /// Chunks follow, ended by ``writeLastChunk(into:)``.
        case chunked
        /// No body and no length header (1xx, 204, 101 upgrades).
        case none
    }

    /// Appends the status line and headers. Adds `Date`, the framing header, and
    /// `Connection: close` when `keepAlive` is false; the given headers must not repeat them.
    public static func writeHead(
        status: Int, headers: HTTPHeaders, framing: Framing, keepAlive: Bool, date: String, into out: inout [UInt8]
    ) {
        var size = 64
        for (name, value) in headers { size += name.utf8.count + value.utf8.count + 4 }
        out.reserveCapacity(out.count + size + date.utf8.count)
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        if (100...999).contains(status) {
            out.append(UInt8(48 + status / 100))
            out.append(UInt8(48 + status / 10 % 10))
            out.append(UInt8(48 + status % 10))
        } else {
            out.append(contentsOf: String(status).utf8)
        }
        out.append(32)
        appendText(HTTPStatus.reason(status), into: &out)
        out.append(13)
        out.append(10)
        var hasDate = false
        for (name, value) in headers {
            append(name, value, into: &out)
            if name.utf8.count == 4 && !hasDate { hasDate = HTTPHeaders.equalNames(name, "date") }
        }
        if !hasDate { append("Date", date, into: &out) }
        switch framing {
        case .contentLength(let length): append("Content-Length", String(length), into: &out)
        case .chunked: append("Transfer-Encoding", "chunked", into: &out)
        case .none: break
        }
        if !keepAlive && !headers.contains("connection") { append("Connection", "close", into: &out) }
        out.append(13)
        out.append(10)
    }

    @inline(__always)
    private static func append(_ name: String, _ value: String, into out: inout [UInt8]) {
        appendText(name, into: &out)
        out.append(58)
        out.append(32)
        appendText(value, into: &out)
        out.append(13)
        out.append(10)
    }

    /// Appends a name, value or reason, leaving out CR and LF: text must never smuggle a
    /// line break into the head.
    private static func appendText(_ text: String, into out: inout [UInt8]) {
        var text = text
        text.withUTF8 { bytes in
            var clean = true
            for byte in bytes where byte == 13 || byte == 10 {
                clean = false
                break
            }
            if clean {
                out.append(contentsOf: bytes)
            } else {
                for byte in bytes where byte != 13 && byte != 10 { out.append(byte) }
            }
        }
    }

    /// Appends one chunk (nothing for an empty one, which would end the body).
    public static func writeChunk(_ bytes: [UInt8], into out: inout [UInt8]) {
        if bytes.isEmpty { return }
        out.append(contentsOf: String(bytes.count, radix: 16).utf8)
        out.append(contentsOf: [13, 10])
        out.append(contentsOf: bytes)
        out.append(contentsOf: [13, 10])
    }

    /// Appends the last chunk, ending a chunked body.
    public static func writeLastChunk(into out: inout [UInt8]) {
        out.append(contentsOf: Array("0\r\n\r\n".utf8))
    }

    /// The interim `100 Continue` response.
    public static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
}
