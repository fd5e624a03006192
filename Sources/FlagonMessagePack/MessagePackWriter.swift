/// Writes MessagePack with the formats notepack.io picks: the smallest integer format for
/// the value (positive values unsigned, negative signed), float 64 for doubles, fixstr /
/// str 8 / 16 / 32, bin 8 / 16 / 32, fixarray / array 16 / 32, fixmap / map 16 / 32, and
/// fixext or ext 8 / 16 / 32.
///
/// ```swift
/// MessagePackWriter.encode(["a": 1])   // [0x81, 0xa1, 0x61, 0x01]
/// ```
public struct MessagePackWriter: Sendable {
    /// What has been written.
    public private(set) var bytes: [UInt8] = []

    /// An empty writer.
    public init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    /// The bytes of one value.
    public static func encode(_ value: MessagePackValue) -> [UInt8] {
        var writer = MessagePackWriter()
        writer.write(value)
        return writer.bytes
    }

    /// Appends a value.
    public mutating func write(_ value: MessagePackValue) {
        switch value {
        case .nil: bytes.append(0xc0)
        case .bool(let flag): bytes.append(flag ? 0xc3 : 0xc2)
        case .int(let integer): writeInteger(integer)
        case .uint(let integer): writeUnsigned(integer)
        case .float(let number):
            bytes.append(0xca)
            appendBigEndian(UInt64(number.bitPattern), count: 4)
        case .double(let number):
            bytes.append(0xcb)
            appendBigEndian(number.bitPattern, count: 8)
        case .string(let text):
            var text = text
            text.withUTF8 { utf8 in
                writeHeader(utf8.count, fix: 0xa0, fixLimit: 32, eight: 0xd9, sixteen: 0xda, thirtyTwo: 0xdb)
                bytes.append(contentsOf: utf8)
            }
        case .binary(let data):
            writeHeader(data.count, fix: nil, fixLimit: 0, eight: 0xc4, sixteen: 0xc5, thirtyTwo: 0xc6)
            bytes.append(contentsOf: data)
        case .array(let items):
            writeHeader(items.count, fix: 0x90, fixLimit: 16, eight: nil, sixteen: 0xdc, thirtyTwo: 0xdd)
            for item in items { write(item) }
        case .map(let map):
            writeHeader(map.count, fix: 0x80, fixLimit: 16, eight: nil, sixteen: 0xde, thirtyTwo: 0xdf)
            for entry in map.entries {
                write(entry.key)
                write(entry.value)
            }
        case .extension(let type, let data):
            switch data.count {
            case 1: bytes.append(0xd4)
            case 2: bytes.append(0xd5)
            case 4: bytes.append(0xd6)
            case 8: bytes.append(0xd7)
            case 16: bytes.append(0xd8)
            default: writeHeader(data.count, fix: nil, fixLimit: 0, eight: 0xc7, sixteen: 0xc8, thirtyTwo: 0xc9)
            }
            bytes.append(UInt8(bitPattern: type))
            bytes.append(contentsOf: data)
        }
    }

    private mutating func writeInteger(_ value: Int64) {
        if value >= 0 { return writeUnsigned(UInt64(value)) }
        if value >= -32 {
            bytes.append(UInt8(bitPattern: Int8(value)))
        } else if value >= Int64(Int8.min) {
            bytes.append(0xd0)
            appendBigEndian(UInt64(bitPattern: value), count: 1)
        } else if value >= Int64(Int16.min) {
            bytes.append(0xd1)
            appendBigEndian(UInt64(bitPattern: value), count: 2)
        } else if value >= Int64(Int32.min) {
            bytes.append(0xd2)
            appendBigEndian(UInt64(bitPattern: value), count: 4)
        } else {
            bytes.append(0xd3)
            appendBigEndian(UInt64(bitPattern: value), count: 8)
        }
    }

    private mutating func writeUnsigned(_ value: UInt64) {
        if value < 0x80 {
            bytes.append(UInt8(value))
        } else if value <= UInt64(UInt8.max) {
            bytes.append(0xcc)
            appendBigEndian(value, count: 1)
        } else if value <= UInt64(UInt16.max) {
            bytes.append(0xcd)
            appendBigEndian(value, count: 2)
        } else if value <= UInt64(UInt32.max) {
            bytes.append(0xce)
            appendBigEndian(value, count: 4)
        } else {
            bytes.append(0xcf)
            appendBigEndian(value, count: 8)
        }
    }

    /// A length header: the fix form below `fixLimit`, else the 8-, 16- or 32-bit form.
    private mutating func writeHeader(_ count: Int, fix: UInt8?, fixLimit: Int, eight: UInt8?, sixteen: UInt8, thirtyTwo: UInt8) {
        if let fix, count < fixLimit {
            bytes.append(fix | UInt8(count))
        } else if let eight, count <= Int(UInt8.max) {
            bytes.append(eight)
            appendBigEndian(UInt64(count), count: 1)
        } else if count <= Int(UInt16.max) {
            bytes.append(sixteen)
            appendBigEndian(UInt64(count), count: 2)
        } else {
            precondition(count <= Int(UInt32.max), "MessagePack lengths stop at 2^32 - 1")
            bytes.append(thirtyTwo)
            appendBigEndian(UInt64(count), count: 4)
        }
    }

    private mutating func appendBigEndian(_ value: UInt64, count: Int) {
        var shift = (count - 1) * 8
        while shift >= 0 {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
            shift -= 8
        }
    }
}
