import FlagonHTTP

/// Reads HTTP/1.1 responses out of received bytes (the test clients' side of the wire):
/// status line, headers, then a body framed by `Content-Length`, chunks, or the close.
public enum HTTPResponseReader {
    /// A complete response and how many bytes it used, or `nil` when more bytes are needed.
    /// `closed` says the peer has closed (a body without length ends there).
    public static func read(_ buffer: [UInt8], isHead: Bool = false, closed: Bool = false) throws -> (TestResponse, Int)? {
        guard let headEnd = find([13, 10, 13, 10], in: buffer, from: 0) else { return nil }
        let headText = String(decoding: buffer[0..<headEnd], as: UTF8.self)
        var lines = headText.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            throw TestClientError.malformedResponse(headText)
        }
        var headers = HTTPHeaders()
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw TestClientError.malformedResponse(line) }
            headers.add(String(line[..<colon]), String(line[line.index(after: colon)...].trimmingSpaces))
        }
        let bodyStart = headEnd + 4
        if isHead || HTTPStatus.forbidsBody(status) {
            return (TestResponse(status: status, headers: headers, body: []), bodyStart)
        }
        if let length = headers["content-length"].flatMap({ Int($0) }) {
            guard buffer.count - bodyStart >= length else { return nil }
            return (TestResponse(status: status, headers: headers, body: Array(buffer[bodyStart..<bodyStart + length])), bodyStart + length)
        }
        if headers.hasToken("chunked", in: "transfer-encoding") {
            var body: [UInt8] = []
            var position = bodyStart
            while true {
                guard let lineEnd = find([13, 10], in: buffer, from: position) else { return nil }
                let sizeText = String(decoding: buffer[position..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText, radix: 16) else { throw TestClientError.malformedResponse("chunk size") }
                position = lineEnd + 2
                if size == 0 {
                    guard let end = find([13, 10], in: buffer, from: position) else { return nil }
                    return (TestResponse(status: status, headers: headers, body: body), end + 2)
                }
                guard buffer.count >= position + size + 2 else { return nil }
                body.append(contentsOf: buffer[position..<position + size])
                position += size + 2
            }
        }
        guard closed else { return nil }
        return (TestResponse(status: status, headers: headers, body: Array(buffer[bodyStart...])), buffer.count)
    }

    static func find(_ needle: [UInt8], in buffer: [UInt8], from start: Int) -> Int? {
        guard buffer.count >= needle.count else { return nil }
        var i = start
        while i + needle.count <= buffer.count {
            if buffer[i] == needle[0] && Array(buffer[i..<i + needle.count]) == needle { return i }
            i += 1
        }
        return nil
    }
}
