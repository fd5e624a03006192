/// An incremental HTTP/1.1 request parser: feed it bytes in chunks of any size and take
/// complete requests out.
///
/// Wire format (RFC 9112): `method SP target SP HTTP/1.x CRLF`, header fields
/// `name: value CRLF`, an empty line, then a body framed by `Content-Length` or by
/// `Transfer-Encoding: chunked` (`<hex size>[;ext] CRLF data CRLF` … `0 CRLF trailers CRLF`).
/// Requests may be pipelined; bytes after one request belong to the next.
///
/// ```swift
/// var parser = HTTPRequestParser()
/// parser.feed(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
/// if case .request(let message)? = try parser.next() { print(message.head.target) }
/// ```
///
/// Rejected (each with its status): request line over the limit (414), header section or
/// count over the limit (431), body over the limit (413), both `Content-Length` and
/// `Transfer-Encoding` or differing `Content-Length` values (400, request smuggling),
/// obsolete line folding, bare CR/LF, whitespace before a colon, control bytes (400), a
/// transfer coding other than `chunked` (501), HTTP versions other than 1.0 and 1.1 (505).
/// After an error the parser stays failed: the connection must close.
public struct HTTPRequestParser: Sendable {
    /// What ``next()`` yields.
    public enum Event: Sendable, Equatable {
        /// The head asked for `100 Continue` and the body has not arrived yet.
        case continueExpected
        /// A complete request.
        case request(HTTPRequestMessage)
    }

    private enum State: Sendable, Equatable {
        case head
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers(bytes: Int)
        case failed(HTTPParseError)
    }

    /// The limits in force.
    public let limits: HTTPLimits
    private var buffer: [UInt8] = []
    private var start = 0
    private var scan = 0
    /// Bytes examined while looking for line ends, over the parser's life: each byte once
    /// (plus one per call), however the reads split the input (for tests that count work).
    private(set) var scannedBytes = 0
    private var requestLineEnd = -1
    private var state = State.head
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    private static let maxChunkLineBytes = 1024

    /// Creates a parser with the given limits.
    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    /// Appends received bytes.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Appends received bytes.
    public mutating func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// `true` when no byte of a next request has been received.
    public var isIdle: Bool { state == .head && start == buffer.count }

    /// `true` while part of a request head has arrived but not all of it.
    public var isReceivingHead: Bool { state == .head && start < buffer.count }

    /// `true` between requests or inside a head: every byte of a request whose body has
    /// begun is still in ``takeRemainingBytes()`` only in this state.
    public var isBetweenBodies: Bool { state == .head }

    /// Hands over the bytes received after the last complete request (for a protocol
    /// upgrade) and empties the parser.
    public mutating func takeRemainingBytes() -> [UInt8] {
        let rest = Array(buffer[start...])
        buffer = []
        start = 0
        scan = 0
        requestLineEnd = -1
        return rest
    }

    private mutating func compact() {
        if start > 0 && (start == buffer.count || start > 4096) {
            buffer.removeSubrange(0..<start)
            scan -= start
            if requestLineEnd >= 0 { requestLineEnd -= start }
            start = 0
            if scan < 0 { scan = 0 }
        }
    }

    /// The next event, or `nil` when more bytes are needed.
    public mutating func next() throws(HTTPParseError) -> Event? {
        do throws(HTTPParseError) {
            return try step()
        } catch {
            state = .failed(error)
            throw error
        }
    }

    private mutating func step() throws(HTTPParseError) -> Event? {
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .head:
                guard let parsed = try parseHead() else { return nil }
                if let event = try beginBody(parsed) { return event }
            case .fixedBody(let remaining):
                let left = takeBody(remaining)
                if left > 0 {
                    state = .fixedBody(remaining: left)
                    return nil
                }
                return finish()
            case .chunkSize:
                guard let lineEnd = findLineEnd() else {
                    if pendingLineBytes > Self.maxChunkLineBytes { throw .malformed("chunk size line too long") }
                    return nil
                }
                if lineEnd - start > Self.maxChunkLineBytes { throw .malformed("chunk size line too long") }
                let size = try parseChunkSize(start, lineEnd)
                start = lineEnd + 2
                if size == 0 {
                    state = .trailers(bytes: 0)
                } else {
                    if body.count + size > limits.maxBodyBytes { throw .bodyTooLarge(max: limits.maxBodyBytes) }
                    state = .chunkData(remaining: size)
                }
            case .chunkData(let remaining):
                let left = takeBody(remaining)
                if left > 0 {
                    state = .chunkData(remaining: left)
                    return nil
                }
                state = .chunkDataEnd
            case .chunkDataEnd:
                if buffer.count - start < 2 { return nil }
                guard buffer[start] == 13 && buffer[start + 1] == 10 else { throw .malformed("missing CRLF after chunk") }
                start += 2
                state = .chunkSize
            case .trailers(let bytes):
                guard let lineEnd = findLineEnd() else {
                    // Nothing pending may still be the final empty line, which is always allowed.
                    let pending = pendingLineBytes
                    if pending > 0 && bytes + pending > limits.maxHeaderBytes { throw .headersTooLarge(max: limits.maxHeaderBytes) }
                    return nil
                }
                let length = lineEnd - start
                start = lineEnd + 2
                if length == 0 { return finish() }
                if bytes + length > limits.maxHeaderBytes { throw .headersTooLarge(max: limits.maxHeaderBytes) }
                state = .trailers(bytes: bytes + length + 2)
            }
        }
    }

    /// The bytes of an unterminated line received so far; a final CR may be the start of its
    /// CRLF and is not counted, so that a limit is judged the same however reads split it.
    private var pendingLineBytes: Int {
        buffer.count - start - (buffer.count > start && buffer[buffer.count - 1] == 13 ? 1 : 0)
    }

    /// Moves up to `remaining` buffered bytes into the body; returns how many are still due.
    private mutating func takeBody(_ remaining: Int) -> Int {
        let take = min(remaining, buffer.count - start)
        if take > 0 {
            body.append(contentsOf: buffer[start..<start + take])
            start += take
        }
        return remaining - take
    }

    private mutating func finish() -> Event {
        let message = HTTPRequestMessage(head: head!, body: body)
        head = nil
        body = []
        state = .head
        scan = start
        return .request(message)
    }

    /// The CRLF that ends the line at `start`, resuming where the last search for it
    /// stopped (`scan`), so that a line read a byte at a time is scanned once.
    private mutating func findLineEnd() -> Int? {
        var i = max(start, scan)
        let first = i
        let end = buffer.count - 1
        defer { scannedBytes += i - first + 1 }
        while i < end {
            if buffer[i] == 13 && buffer[i + 1] == 10 {
                scan = i + 2
                return i
            }
            i += 1
        }
        scan = max(start, end)   // the last byte may be the CR of a CRLF still to come
        return nil
    }

    private func parseChunkSize(_ from: Int, _ to: Int) throws(HTTPParseError) -> Int {
        var size = 0
        var digits = 0
        var i = from
        while i < to {
            let byte = buffer[i]
            let value: Int
            switch byte {
            case 48...57: value = Int(byte - 48)
            case 65...70: value = Int(byte - 55)
            case 97...102: value = Int(byte - 87)
            case 59, 32, 9: i = to; continue   // extension or whitespace before it: ignored
            default: throw .malformed("invalid chunk size")
            }
            digits += 1
            if digits > 15 { throw .bodyTooLarge(max: limits.maxBodyBytes) }
            size = size * 16 + value
            i += 1
        }
        if digits == 0 { throw .malformed("invalid chunk size") }
        return size
    }

    // MARK: Head

    /// Finds and parses a complete head; `nil` when it has not all arrived.
    ///
    /// The head is scanned byte by byte, resuming where the last call stopped, and every
    /// limit or line-ending error is raised at the byte where it becomes certain: the same
    /// bytes get the same answer however the reads split them.
    private mutating func parseHead() throws(HTTPParseError) -> HTTPRequestHead? {
        // Tolerate empty lines before a request line (RFC 9112, section 2.2).
        while buffer.count - start >= 2 && buffer[start] == 13 && buffer[start + 1] == 10 {
            start += 2
        }
        if scan < start {
            scan = start
            requestLineEnd = -1
        }
        guard let end = try scanHead() else { return nil }
        let parsed = try buffer.withUnsafeBufferPointer { all throws(HTTPParseError) in
            try Self.parseHeadBytes(UnsafeBufferPointer(rebasing: all[start..<end]), limits: limits)
        }
        start = end + 4
        scan = start
        requestLineEnd = -1
        return parsed
    }

    /// Scans the head from `scan`; returns the index of its final CRLFCRLF once found.
    private mutating func scanHead() throws(HTTPParseError) -> Int? {
        let count = buffer.count
        let maxLine = limits.maxRequestLineBytes
        let maxHeaders = limits.maxHeaderBytes
        var i = scan
        let first = i
        defer { scannedBytes += i - first + 1 }
        let start = self.start
        var requestLineEnd = self.requestLineEnd
        defer { self.requestLineEnd = requestLineEnd }
        // The first index at which any byte but a CR breaks a limit: in the request line, its
        // length; after it, the end of the header fields at the limit.
        var limit = requestLineEnd < 0 ? start + maxLine : requestLineEnd + 2 + maxHeaders + 3
        let found: Int? = try buffer.withUnsafeBufferPointer { bytes throws(HTTPParseError) -> Int? in
            var previous: UInt8 = i > start ? bytes[i - 1] : 0
            guard let address = bytes.baseAddress else { return nil }
            let base = UnsafeRawPointer(address)
            while i < count {
                // Eight bytes at a time while none is below 14 (so no CR or LF) and all lie
                // before the limit: a word with a byte below 14 goes byte by byte.
                if previous != 13 {
                    let end = Swift.min(count, limit)
                    let skippedFrom = i
                    while i + 8 <= end {
                        let word = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                        if (word &- 0x0E0E_0E0E_0E0E_0E0E) & ~word & 0x8080_8080_8080_8080 != 0 { break }
                        i += 8
                    }
                    if i > skippedFrom { previous = bytes[i - 1] }
                    if i >= count { break }
                }
                let byte = bytes[i]
                // Most bytes are neither CR nor LF nor after a CR: one test, then the limit.
                if byte > 13 && previous != 13 {
                    if i >= limit {
                        if requestLineEnd < 0 { throw .requestLineTooLong(max: maxLine) }
                        throw .headersTooLarge(max: maxHeaders)
                    }
                    previous = byte
                    i += 1
                    continue
                }
                if previous == 13 && byte != 10 { throw .malformed("bare CR in the request head") }
                if byte == 10 {
                    if previous != 13 { throw .malformed("bare LF in the request head (lines must end with CRLF)") }
                    if requestLineEnd < 0 {
                        requestLineEnd = i - 1
                        limit = requestLineEnd + 2 + maxHeaders + 3
                    } else if i - start >= 3 && bytes[i - 2] == 10 && bytes[i - 3] == 13 {
                        return i
                    }
                }
                if requestLineEnd < 0 {
                    if byte != 13 && i >= limit { throw .requestLineTooLong(max: maxLine) }
                } else if i >= limit {
                    // The header fields would end after the limit: no terminator can start in time.
                    throw .headersTooLarge(max: maxHeaders)
                }
                previous = byte
                i += 1
            }
            return nil
        }
        if let found {
            scan = found + 1
            return found - 3
        }
        scan = count
        return nil
    }

    /// Decides the body framing of a parsed head; returns `.continueExpected` when the
    /// client waits for `100 Continue` before sending its body.
    private mutating func beginBody(_ parsed: HTTPRequestHead) throws(HTTPParseError) -> Event? {
        head = parsed
        let encodings = parsed.headers.values(for: "transfer-encoding")
        let lengths = parsed.headers.values(for: "content-length")
        if !encodings.isEmpty {
            if !lengths.isEmpty { throw .malformed("both Content-Length and Transfer-Encoding") }
            if parsed.minorVersion == 0 { throw .malformed("Transfer-Encoding in HTTP/1.0") }
            let codings = encodings.flatMap { $0.split(separator: ",").map { String($0.trimmingSpaces).lowercased() } }
            guard codings == ["chunked"] else { throw .unsupportedTransferEncoding(encodings.joined(separator: ", ")) }
            state = .chunkSize
            if parsed.expectsContinue && buffer.count == start { return .continueExpected }
            return nil
        }
        var length = 0
        if !lengths.isEmpty {
            var found: Int?
            for value in lengths.flatMap({ $0.split(separator: ",", omittingEmptySubsequences: false) }) {
                let digits = value.trimmingSpaces
                guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                      let number = Int(digits) else { throw .malformed("invalid Content-Length") }
                if let found, found != number { throw .malformed("conflicting Content-Length values") }
                found = number
            }
            length = found ?? 0
        }
        if length > limits.maxBodyBytes { throw .bodyTooLarge(max: limits.maxBodyBytes) }
        if length == 0 { return finish() }
        body.reserveCapacity(length)
        state = .fixedBody(remaining: length)
        if parsed.expectsContinue && buffer.count == start { return .continueExpected }
        return nil
    }
}
