import FlagonHTTP

/// A request kept for as long as a connection lives (a WebSocket's or a Socket.IO
/// session's handshake): every field in one buffer of exactly its size, plus the shared
/// ``RequestContext``. A kept ``Request`` holds an array of header fields and a heap
/// string for each long name, value or query; this holds one block, in which common
/// header names and values take one byte each.
///
/// ``request`` rebuilds the request on each read (copy it to read it often); every
/// rebuilt request shares the original's context, so state stored there stays.
///
/// ```swift
/// let kept = StoredRequest(request)
/// kept.request.headers["user-agent"]   // as in the original
/// ```
public struct StoredRequest: Sendable {
    private let bytes: [UInt8]
    /// The context of the original request.
    public let context: RequestContext

    /// Keeps `request`.
    public init(_ request: Request) {
        context = request.context
        var strings = [request.method, request.path, request.scriptName, request.rawQuery, request.remoteAddress ?? ""]
        strings.reserveCapacity(5 + 2 * (request.parameters.values.count + request.headers.count))
        let parameters = request.parameters.values.isEmpty ? [] : request.parameters.values.sorted { $0.key < $1.key }
        for (name, value) in parameters { strings += [name, value] }
        let firstHeader = strings.count
        for (name, value) in request.headers { strings += [name, value] }
        let flags = (request.remoteAddress == nil ? 0 : 1) | (request.isSecure ? 2 : 0)
        let counts = [flags, request.minorVersion, parameters.count, request.headers.count, request.body.count]
        var size = request.body.count
        for count in counts { size += Self.varintSize(count) }
        // A common header name or value is written as 0 and its number in `common` (no
        // name is empty; an empty value is written as its length, 0, and a byte 255).
        let codes = strings.indices.map { $0 >= firstHeader ? Self.codes[strings[$0]] : nil }
        for (string, code) in zip(strings, codes) {
            size += code != nil || string.isEmpty ? 2 : Self.varintSize(string.utf8.count) + string.utf8.count
        }
        bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, written in
            var writer = Writer(buffer: buffer)
            for count in counts { writer.varint(count) }
            for (string, code) in zip(strings, codes) {
                writer.varint(string.utf8.count == 0 || code != nil ? 0 : string.utf8.count)
                if let code {
                    writer.byte(code)
                } else if string.isEmpty {
                    writer.byte(255)
                } else {
                    var string = string
                    string.withUTF8 { writer.bytes($0) }
                }
            }
            request.body.withUnsafeBufferPointer { writer.bytes($0) }
            written = writer.offset
        }
    }

    /// Bytes held.
    var byteCount: Int { bytes.count }

    /// The request, rebuilt.
    public var request: Request {
        var reader = Reader(bytes: bytes)
        let flags = reader.varint()
        let hasAddress = flags & 1 != 0
        let minorVersion = reader.varint()
        let parameterCount = reader.varint()
        let headerCount = reader.varint()
        let bodyCount = reader.varint()
        let method = reader.string(), path = reader.string(), scriptName = reader.string(), rawQuery = reader.string()
        let address = reader.string()
        var parameters = PathParameters()
        for _ in 0..<parameterCount {
            let name = reader.string()
            parameters.values[name] = reader.string()
        }
        var headers = HTTPHeaders()
        for _ in 0..<headerCount {
            let name = reader.string()
            headers.add(name, reader.string())
        }
        let body = Array(bytes[reader.offset..<reader.offset + bodyCount])
        var request = Request(method: method, path: path, scriptName: scriptName, rawQuery: rawQuery, headers: headers, body: body,
                              remoteAddress: hasAddress ? address : nil, parameters: parameters, minorVersion: minorVersion,
                              context: context)
        request.isSecure = flags & 2 != 0
        return request
    }

    /// Header names and values most handshakes carry (string literals: rebuilding them
    /// allocates nothing).
    fileprivate static let common: [String] = [
        "Host", "host", "Connection", "connection", "Upgrade", "upgrade", "User-Agent", "user-agent",
        "Accept", "accept", "Accept-Encoding", "accept-encoding", "Accept-Language", "accept-language",
        "Cache-Control", "cache-control", "Pragma", "pragma", "Origin", "origin", "Cookie", "cookie",
        "Referer", "referer", "Authorization", "authorization", "Content-Type", "content-type",
        "Content-Length", "content-length", "X-Forwarded-For", "x-forwarded-for", "x-forwarded-proto", "X-Real-IP", "x-real-ip",
        "Sec-Fetch-Dest", "sec-fetch-dest", "Sec-Fetch-Mode", "sec-fetch-mode", "Sec-Fetch-Site", "sec-fetch-site",
        "websocket", "Upgrade", "keep-alive", "Keep-Alive", "keep-alive, Upgrade", "13", "no-cache", "*/*",
        "gzip, deflate", "gzip, deflate, br", "gzip, deflate, br, zstd", "permessage-deflate; client_max_window_bits",
    ] + KnownHeaderNames.names   // the long names the HTTP parser already keeps as literals
    private static let codes: [String: UInt8] = {
        precondition(common.count < 255, "255 marks an empty string")
        var codes: [String: UInt8] = [:]
        for (index, string) in common.enumerated() where codes[string] == nil { codes[string] = UInt8(index) }
        return codes
    }()

    private static func varintSize(_ value: Int) -> Int {
        var value = UInt(value), size = 1
        while value >= 0x80 {
            value >>= 7
            size += 1
        }
        return size
    }

    private struct Writer {
        let buffer: UnsafeMutableBufferPointer<UInt8>
        var offset = 0

        mutating func byte(_ byte: UInt8) {
            buffer.initializeElement(at: offset, to: byte)
            offset += 1
        }

        /// Copies bytes at once (a string's UTF-8, a body).
        mutating func bytes(_ source: UnsafeBufferPointer<UInt8>) {
            guard let base = source.baseAddress, !source.isEmpty else { return }
            (buffer.baseAddress! + offset).initialize(from: base, count: source.count)
            offset += source.count
        }

        mutating func varint(_ value: Int) {
            var value = UInt(value)
            while value >= 0x80 {
                byte(UInt8(value & 0x7F) | 0x80)
                value >>= 7
            }
            byte(UInt8(value))
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func varint() -> Int {
            var value: UInt = 0, shift: UInt = 0
            while offset < bytes.count {
                let byte = bytes[offset]
                offset += 1
                value |= UInt(byte & 0x7F) << shift
                if byte < 0x80 { break }
                shift += 7
            }
            return Int(value)
        }

        mutating func string() -> String {
            let count = varint()
            if count == 0 {
                let code = Int(bytes[offset])
                offset += 1
                return code < StoredRequest.common.count ? StoredRequest.common[code] : ""
            }
            defer { offset += count }
            return String(decoding: bytes[offset..<offset + count], as: UTF8.self)
        }
    }
}
