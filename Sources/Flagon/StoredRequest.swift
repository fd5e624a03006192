import FlagonHTTP

/// A request kept for as long as a connection lives (a WebSocket's or a Socket.IO
/// session's handshake): every field in one buffer of exactly its size, plus the shared
/// ``RequestContext``. A kept ``Request`` holds an array of header fields and a heap
/// string for each long name, value or query; this holds one block.
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
        let parameters = request.parameters.values.sorted { $0.key < $1.key }
        for (name, value) in parameters { strings += [name, value] }
        for (name, value) in request.headers { strings += [name, value] }
        let counts = [request.remoteAddress == nil ? 0 : 1, request.minorVersion, parameters.count, request.headers.count, request.body.count]
        var size = request.body.count
        for count in counts { size += Self.varintSize(count) }
        for string in strings { size += Self.varintSize(string.utf8.count) + string.utf8.count }
        bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, written in
            var writer = Writer(buffer: buffer)
            for count in counts { writer.varint(count) }
            for string in strings {
                writer.varint(string.utf8.count)
                for byte in string.utf8 { writer.byte(byte) }
            }
            for byte in request.body { writer.byte(byte) }
            written = writer.offset
        }
    }

    /// The request, rebuilt.
    public var request: Request {
        var reader = Reader(bytes: bytes)
        let hasAddress = reader.varint() == 1
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
        return Request(method: method, path: path, scriptName: scriptName, rawQuery: rawQuery, headers: headers, body: body,
                       remoteAddress: hasAddress ? address : nil, parameters: parameters, minorVersion: minorVersion,
                       context: context)
    }

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
            defer { offset += count }
            return String(decoding: bytes[offset..<offset + count], as: UTF8.self)
        }
    }
}
