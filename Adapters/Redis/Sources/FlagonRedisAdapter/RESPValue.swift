/// A reply of the Redis protocol (RESP2, what redis-server speaks unless told otherwise).
public enum RESPValue: Sendable, Equatable {
    /// `+OK`
    case simpleString(String)
    /// `-ERR ...`
    case error(String)
    /// `:42`
    case integer(Int64)
    /// `$5 hello` (bytes: pub/sub messages are MessagePack); `nil` for `$-1`.
    case bulkString([UInt8]?)
    /// `*2 ...`; `nil` for `*-1`.
    case array([RESPValue]?)

    /// The text of a simple or bulk string.
    public var text: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let bytes?): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }

    /// The bytes of a bulk string.
    public var bytes: [UInt8]? { if case .bulkString(let bytes) = self { bytes } else { nil } }

    /// The elements of an array.
    public var elements: [RESPValue]? { if case .array(let items) = self { items } else { nil } }

    /// `true` for an error reply.
    public var isError: Bool { if case .error = self { true } else { false } }

    /// The integer of an integer reply.
    public var integer: Int64? { if case .integer(let value) = self { value } else { nil } }
}

/// Writes Redis commands: each an array of bulk strings.
///
/// ```swift
/// RESPWriter.command("PUBLISH", "socket.io#/#", bytes)   // *3\r\n$7\r\nPUBLISH\r\n...
/// ```
public enum RESPWriter {
    /// A command of text arguments.
    public static func command(_ arguments: String...) -> [UInt8] {
        command(arguments.map { Array($0.utf8) })
    }

    /// A command whose arguments are bytes.
    public static func command(_ arguments: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16 + arguments.reduce(0) { $0 + $1.count + 16 })
        out.append(UInt8(ascii: "*"))
        out.append(contentsOf: Array(String(arguments.count).utf8))
        out.append(contentsOf: [13, 10])
        for argument in arguments {
            out.append(UInt8(ascii: "$"))
            out.append(contentsOf: Array(String(argument.count).utf8))
            out.append(contentsOf: [13, 10])
            out.append(contentsOf: argument)
            out.append(contentsOf: [13, 10])
        }
        return out
    }
}
