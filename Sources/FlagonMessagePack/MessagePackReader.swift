/// Reads MessagePack strictly: every format of the spec, big-endian, UTF-8 checked, with
/// limits on nesting and lengths (a length can never ask for more elements or bytes than
/// are left, so hostile input cannot make it allocate).
///
/// ```swift
/// let value = try MessagePackReader.decode([0x81, 0xa1, 0x61, 0x01])   // ["a": 1]
/// ```
public struct MessagePackReader: Sendable {
    /// The deepest nesting of arrays and maps accepted.
    public var maxDepth = 100
    /// The longest string or binary accepted, in bytes.
    public var maxBytes = 64 * 1024 * 1024

    private let input: [UInt8]
    /// Where the next value starts.
    public private(set) var offset = 0

    /// A reader of `input`.
    public init(_ input: [UInt8]) { self.input = input }

    /// The one value of `bytes` (nothing may follow it).
    public static func decode(_ bytes: [UInt8], maxDepth: Int = 100) throws(MessagePackError) -> MessagePackValue {
        var reader = MessagePackReader(bytes)
        reader.maxDepth = maxDepth
        let value = try reader.read()
        guard reader.isAtEnd else { throw .trailingBytes(offset: reader.offset) }
        return value
    }

    /// `true` once every byte has been read.
    public var isAtEnd: Bool { offset == input.count }

    /// Reads the next value.
    public mutating func read() throws(MessagePackError) -> MessagePackValue {
        try value(depth: 0)
    }

    private mutating func value(depth: Int) throws(MessagePackError) -> MessagePackValue {
        let start = offset
        let prefix = try byte()
        switch prefix {
        case 0x00...0x7f: return .int(Int64(prefix))
        case 0x80...0x8f: return try map(Int(prefix & 0x0f), depth: depth)
        case 0x90...0x9f: return try array(Int(prefix & 0x0f), depth: depth)
        case 0xa0...0xbf: return try string(Int(prefix & 0x1f))
        case 0xe0...0xff: return .int(Int64(Int8(bitPattern: prefix)))
        case 0xc0: return .nil
        case 0xc2: return .bool(false)
        case 0xc3: return .bool(true)
        case 0xc4: return .binary(try bytes(Int(try unsigned(1))))
        case 0xc5: return .binary(try bytes(Int(try unsigned(2))))
        case 0xc6: return .binary(try bytes(Int(try unsigned(4))))
        case 0xc7: return try ext(Int(try unsigned(1)))
        case 0xc8: return try ext(Int(try unsigned(2)))
        case 0xc9: return try ext(Int(try unsigned(4)))
        case 0xca: return .float(Float(bitPattern: UInt32(try unsigned(4))))
        case 0xcb: return .double(Double(bitPattern: try unsigned(8)))
        case 0xcc: return .int(Int64(try unsigned(1)))
        case 0xcd: return .int(Int64(try unsigned(2)))
        case 0xce: return .int(Int64(try unsigned(4)))
        case 0xcf:
            let value = try unsigned(8)
            return value <= UInt64(Int64.max) ? .int(Int64(value)) : .uint(value)
        case 0xd0: return .int(Int64(Int8(truncatingIfNeeded: try unsigned(1))))
        case 0xd1: return .int(Int64(Int16(truncatingIfNeeded: try unsigned(2))))
        case 0xd2: return .int(Int64(Int32(truncatingIfNeeded: try unsigned(4))))
        case 0xd3: return .int(Int64(bitPattern: try unsigned(8)))
        case 0xd4: return try ext(1)
        case 0xd5: return try ext(2)
        case 0xd6: return try ext(4)
        case 0xd7: return try ext(8)
        case 0xd8: return try ext(16)
        case 0xd9: return try string(Int(try unsigned(1)))
        case 0xda: return try string(Int(try unsigned(2)))
        case 0xdb: return try string(Int(try unsigned(4)))
        case 0xdc: return try array(Int(try unsigned(2)), depth: depth)
        case 0xdd: return try array(Int(try unsigned(4)), depth: depth)
        case 0xde: return try map(Int(try unsigned(2)), depth: depth)
        case 0xdf: return try map(Int(try unsigned(4)), depth: depth)
        default: throw .invalidByte(prefix, offset: start)   // 0xc1
        }
    }

    private mutating func byte() throws(MessagePackError) -> UInt8 {
        guard offset < input.count else { throw .truncated(offset: offset) }
        defer { offset += 1 }
        return input[offset]
    }

    private mutating func unsigned(_ count: Int) throws(MessagePackError) -> UInt64 {
        guard input.count - offset >= count else { throw .truncated(offset: offset) }
        var value: UInt64 = 0
        for index in offset..<(offset + count) { value = value << 8 | UInt64(input[index]) }
        offset += count
        return value
    }

    private mutating func bytes(_ count: Int) throws(MessagePackError) -> [UInt8] {
        guard count <= maxBytes else { throw .tooLarge(offset: offset) }
        guard input.count - offset >= count else { throw .truncated(offset: offset) }
        defer { offset += count }
        return Array(input[offset..<(offset + count)])
    }

    private mutating func string(_ count: Int) throws(MessagePackError) -> MessagePackValue {
        let start = offset
        let raw = try bytes(count)
        guard let text = String(validating: raw, as: UTF8.self) else { throw .invalidUTF8(offset: start) }
        return .string(text)
    }

    private mutating func ext(_ count: Int) throws(MessagePackError) -> MessagePackValue {
        let type = Int8(bitPattern: try byte())
        return .extension(type: type, data: try bytes(count))
    }

    private mutating func array(_ count: Int, depth: Int) throws(MessagePackError) -> MessagePackValue {
        guard depth < maxDepth else { throw .tooDeep(limit: maxDepth) }
        // Each element takes at least one byte: a count beyond what is left is a lie.
        guard count <= input.count - offset else { throw .tooLarge(offset: offset) }
        var items: [MessagePackValue] = []
        items.reserveCapacity(count)
        for _ in 0..<count { items.append(try value(depth: depth + 1)) }
        return .array(items)
    }

    private mutating func map(_ count: Int, depth: Int) throws(MessagePackError) -> MessagePackValue {
        guard depth < maxDepth else { throw .tooDeep(limit: maxDepth) }
        guard count <= (input.count - offset) / 2 else { throw .tooLarge(offset: offset) }
        var entries: [MessagePackMap.Entry] = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            let key = try value(depth: depth + 1)
            entries.append(MessagePackMap.Entry(key: key, value: try value(depth: depth + 1)))
        }
        return .map(MessagePackMap(entries))
    }
}
