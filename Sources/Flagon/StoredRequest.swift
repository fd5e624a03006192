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
        let parameters = request.parameters.values.isEmpty ? [] : request.parameters.values.sorted { $0.key < $1.key }
        let flags = (request.remoteAddress == nil ? 0 : 1) | (request.isSecure ? 2 : 0)
        let address = request.remoteAddress ?? ""
        // Written once into a scratch buffer large enough for any encoding (a varint takes at
        // most 10 bytes), then copied into an array of exactly its size.
        var bound = request.body.count + 5 * 10
        bound += 55 + request.method.utf8.count + request.path.utf8.count + request.scriptName.utf8.count
            + request.rawQuery.utf8.count + address.utf8.count
        for (name, value) in parameters { bound += 22 + name.utf8.count + value.utf8.count }
        for field in request.headers.fields { bound += 22 + field.name.utf8.count + field.value.utf8.count }
        bytes = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bound) { buffer in
            var writer = Writer(buffer: buffer)
            writer.varint(flags)
            writer.varint(request.minorVersion)
            writer.varint(parameters.count)
            writer.varint(request.headers.count)
            writer.varint(request.body.count)
            writer.string(request.method)
            writer.string(request.path)
            writer.string(request.scriptName)
            writer.string(request.rawQuery)
            writer.string(address)
            for (name, value) in parameters {
                writer.string(name)
                writer.string(value)
            }
            for field in request.headers.fields {
                writer.string(field.name, common: true)
                writer.string(field.value, common: true)
            }
            request.body.withUnsafeBufferPointer { writer.bytes($0) }
            return Array(UnsafeBufferPointer(rebasing: buffer[0..<writer.offset]))
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
    /// `common`, found by its bytes (no hashing of a `String`, no dictionary).
    fileprivate static let commonTable = CommonStringTable(common)

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

        /// A string as its length and bytes; with `common`, a common one as 0 and its code. An
        /// empty string is 0 and 255.
        mutating func string(_ string: String, common: Bool = false) {
            var string = string
            string.withUTF8 { utf8 in
                if utf8.isEmpty {
                    byte(0)
                    byte(255)
                } else if common, let code = StoredRequest.commonTable.code(utf8) {
                    byte(0)
                    byte(code)
                } else {
                    varint(utf8.count)
                    bytes(utf8)
                }
            }
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
