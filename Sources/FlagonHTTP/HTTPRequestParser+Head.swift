/// The request head's grammar: the request line and the header fields of a head already
/// found complete, read in one pass over its bytes.
extension HTTPRequestParser {
    fileprivate static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 48...57, 65...90, 97...122: return true
        case 33, 35, 36, 37, 38, 39, 42, 43, 45, 46, 94, 95, 96, 124, 126: return true
        default: return false
        }
    }

    fileprivate static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    private static func staticBytes(_ text: StaticString) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
    }

    /// `true` when `bytes`, ASCII letters folded to lower case, are `lowercase`.
    private static func equalsLowercased(_ bytes: UnsafeBufferPointer<UInt8>, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let wanted = lowercase.utf8Start
        for index in 0..<bytes.count where bytes[index] | 0x20 != wanted[index] { return false }
        return true
    }

    /// The first error of the header line at `start`, in this order: a bare LF in the line,
    /// too many fields, obsolete line folding, an invalid name, a control character in the
    /// value.
    private static func fieldError(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, headerCount: Int,
                                   limits: HTTPLimits) -> HTTPParseError {
        let count = bytes.count
        var end = start
        while end < count && bytes[end] != 13 {
            if bytes[end] == 10 { return .malformed("bare LF") }
            end += 1
        }
        if headerCount >= limits.maxHeaderCount { return .tooManyHeaders(max: limits.maxHeaderCount) }
        if bytes[start] == 32 || bytes[start] == 9 { return .malformed("obsolete line folding") }
        var colon = start
        while colon < end && isTokenByte(bytes[colon]) { colon += 1 }
        if colon == start || colon >= end || bytes[colon] != 58 { return .malformed("invalid header field") }
        return .malformed("control character in header value")
    }

    /// Parses a complete head (request line and header fields, the final empty line
    /// excluded) within `limits`: strict about what RFC 9112 calls invalid.
    static func parseHeadBytes(_ bytes: UnsafeBufferPointer<UInt8>, limits: HTTPLimits) throws(HTTPParseError) -> HTTPRequestHead {
        let count = bytes.count
        // Request line.
        var lineEnd = 0
        while lineEnd < count && bytes[lineEnd] != 13 { lineEnd += 1 }
        if lineEnd > limits.maxRequestLineBytes { throw .requestLineTooLong(max: limits.maxRequestLineBytes) }
        var i = 0
        while i < lineEnd && isTokenByte(bytes[i]) { i += 1 }
        if i == 0 || i >= lineEnd || bytes[i] != 32 { throw .malformed("invalid method") }
        let method = string(bytes, 0..<i)
        let targetStart = i + 1
        var j = targetStart
        // Visible ASCII only (RFC 9112, section 3.2): other bytes must be percent-encoded.
        while j < lineEnd && bytes[j] > 32 && bytes[j] < 127 { j += 1 }
        if j == targetStart || j >= lineEnd || bytes[j] != 32 { throw .malformed("invalid request target") }
        let target = string(bytes, targetStart..<j)
        let versionStart = j + 1
        guard lineEnd - versionStart == 8,
              bytes[versionStart] == 72, bytes[versionStart + 1] == 84, bytes[versionStart + 2] == 84,
              bytes[versionStart + 3] == 80, bytes[versionStart + 4] == 47, bytes[versionStart + 6] == 46
        else { throw .malformed("invalid HTTP version") }
        let major = bytes[versionStart + 5], minor = bytes[versionStart + 7]
        guard (48...57).contains(major), (48...57).contains(minor) else { throw .malformed("invalid HTTP version") }
        guard major == 49, minor == 48 || minor == 49 else { throw .unsupportedVersion }
        let minorVersion = Int(minor - 48)

        // Header fields: each line read once, left to right. Anything unusual takes
        // `fieldError`, which finds the line's first error in the documented order.
        var headers = HTTPHeaders()
        headers.reserveCapacity(12)
        var hosts = 0
        var expect: String?
        var connectionClose = false, connectionKeepAlive = false
        var position = lineEnd
        while position < count {
            guard position + 1 < count, bytes[position] == 13, bytes[position + 1] == 10 else { throw .malformed("bare CR") }
            position += 2
            let fieldStart = position
            if headers.count >= limits.maxHeaderCount || bytes[fieldStart] == 32 || bytes[fieldStart] == 9 {
                throw fieldError(bytes, fieldStart, headerCount: headers.count, limits: limits)
            }
            var colon = fieldStart
            while colon < count && isTokenByte(bytes[colon]) { colon += 1 }
            guard colon > fieldStart && colon < count && bytes[colon] == 58 else {
                throw fieldError(bytes, fieldStart, headerCount: headers.count, limits: limits)
            }
            var valueStart = colon + 1
            while valueStart < count && (bytes[valueStart] == 32 || bytes[valueStart] == 9) { valueStart += 1 }
            var valueEnd = valueStart
            while valueEnd < count {
                let byte = bytes[valueEnd]
                if byte == 13 { break }
                if (byte < 32 && byte != 9) || byte == 127 {
                    throw fieldError(bytes, fieldStart, headerCount: headers.count, limits: limits)
                }
                valueEnd += 1
            }
            position = valueEnd
            while valueEnd > valueStart && (bytes[valueEnd - 1] == 32 || bytes[valueEnd - 1] == 9) { valueEnd -= 1 }
            let nameBytes = UnsafeBufferPointer(rebasing: bytes[fieldStart..<colon])
            let value = string(bytes, valueStart..<valueEnd)
            if equalsLowercased(nameBytes, "host") { hosts += 1 }
            if expect == nil && equalsLowercased(nameBytes, "expect") { expect = value }
            if equalsLowercased(nameBytes, "connection") {
                let valueBytes = UnsafeBufferPointer(rebasing: bytes[valueStart..<valueEnd])
                if HTTPHeaders.containsToken(staticBytes("close"), in: valueBytes) { connectionClose = true }
                if HTTPHeaders.containsToken(staticBytes("keep-alive"), in: valueBytes) { connectionKeepAlive = true }
            }
            headers.add(KnownHeaderNames.name(nameBytes) ?? string(bytes, fieldStart..<colon), value)
        }
        if count - lineEnd > limits.maxHeaderBytes + 2 { throw .headersTooLarge(max: limits.maxHeaderBytes) }

        if minorVersion == 1 && hosts == 0 { throw .malformed("missing Host header") }
        // RFC 9112, section 3.2: more than one Host field is an invalid request.
        if hosts > 1 { throw .malformed("more than one Host header") }
        let keepAlive = minorVersion == 1 ? !connectionClose : connectionKeepAlive
        var expectsContinue = false
        if let expect {
            guard HTTPHeaders.equalNames(expect, "100-continue") else { throw .expectationFailed }
            expectsContinue = minorVersion == 1
        }
        return HTTPRequestHead(method: method, target: target, minorVersion: minorVersion, headers: headers,
                               keepAlive: keepAlive, expectsContinue: expectsContinue)
    }
}
