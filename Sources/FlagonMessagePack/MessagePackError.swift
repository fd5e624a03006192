/// Why bytes are not one valid MessagePack value (with the offset where it was found).
public enum MessagePackError: Error, Sendable, Equatable {
    /// The input ends inside a value.
    case truncated(offset: Int)
    /// `0xc1`, the one byte MessagePack never uses.
    case invalidByte(UInt8, offset: Int)
    /// A string that is not UTF-8.
    case invalidUTF8(offset: Int)
    /// Arrays and maps nested deeper than the reader allows.
    case tooDeep(limit: Int)
    /// A length larger than the reader allows, or than the bytes left could hold.
    case tooLarge(offset: Int)
    /// Bytes left after the value.
    case trailingBytes(offset: Int)

    /// What is wrong, in words.
    public var message: String {
        switch self {
        case .truncated(let offset): "input ends inside a value (at byte \(offset))"
        case .invalidByte(let byte, let offset): "byte 0x\(String(byte, radix: 16)) is not MessagePack (at byte \(offset))"
        case .invalidUTF8(let offset): "string is not UTF-8 (at byte \(offset))"
        case .tooDeep(let limit): "arrays and maps nested deeper than \(limit)"
        case .tooLarge(let offset): "length too large (at byte \(offset))"
        case .trailingBytes(let offset): "bytes left after the value (from byte \(offset))"
        }
    }
}
