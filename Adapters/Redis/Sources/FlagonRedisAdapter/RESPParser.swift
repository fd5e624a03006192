/// Reads Redis replies incrementally: bytes go in as they arrive, complete replies come out.
/// Strict (CRLF line ends, decimal lengths, known type bytes) and bounded (line length, bulk
/// length, array count, nesting); a reply that breaks a rule is an error and the connection
/// should be dropped.
///
/// ```swift
/// var parser = RESPParser()
/// parser.append(bytes)
/// while let reply = try parser.next() { handle(reply) }
/// ```
public struct RESPParser: Sendable {
    /// Why bytes are not RESP.
    public enum Failure: Error, Sendable, Equatable {
        case unknownType(UInt8)
        case invalidLine
        case invalidLength
        case tooLarge
        case tooDeep
    }

    /// The longest simple line (type byte, text, CRLF excluded).
    public var maxLineBytes = 64 * 1024
    /// The longest bulk string.
    public var maxBulkBytes = 64 * 1024 * 1024
    /// The most elements in one array.
    public var maxArrayCount = 1 << 20
    /// The deepest nesting of arrays.
    public var maxDepth = 16

    private var buffer: [UInt8] = []
    private var start = 0
    /// The arrays being read (outermost first): how many elements each still expects, and
    /// those already read. A reply whose bytes come in pieces is read element by element and
    /// resumed where it stopped, so that each byte is read once however the bytes are split.
    private var open: [(remaining: Int, items: [RESPValue])] = []
    /// Bytes examined while looking for line ends (for tests that count work).
    private(set) var bytesScanned = 0

    /// An empty parser.
    public init() {}

    /// Bytes not yet consumed.
    public var bufferedCount: Int { buffer.count - start }

    /// Adds bytes that arrived.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete reply, or `nil` until more bytes arrive.
    public mutating func next() throws(Failure) -> RESPValue? {
        while true {
            var cursor = start
            guard let element = try element(&cursor) else { return nil }   // incomplete: resumed here with more bytes
            start = cursor
            if start > 64 * 1024 && start * 2 > buffer.count {
                buffer.removeFirst(start)
                start = 0
            }
            var value: RESPValue
            switch element {
            case .complete(let complete):
                value = complete
            case .arrayOf(let count):
                guard open.count < maxDepth else { throw .tooDeep }
                var items: [RESPValue] = []
                items.reserveCapacity(min(count, 1024))
                open.append((count, items))
                continue
            }
            // The value completes the innermost open array, which may complete the next one out.
            while !open.isEmpty {
                open[open.count - 1].items.append(value)
                open[open.count - 1].remaining -= 1
                guard open[open.count - 1].remaining == 0 else { break }
                value = .array(open.removeLast().items)
                if open.isEmpty { return value }
            }
            if open.isEmpty { return value }
        }
    }

    /// One element at `cursor`: a whole value, or the header of a non-empty array whose
    /// elements follow; `nil` when incomplete (the cursor is then meaningless).
    private enum Element {
        case complete(RESPValue)
        case arrayOf(Int)
    }

    private mutating func element(_ cursor: inout Int) throws(Failure) -> Element? {
        guard cursor < buffer.count else { return nil }
        let type = buffer[cursor]
        cursor += 1
        guard let line = try line(&cursor) else { return nil }
        switch type {
        case UInt8(ascii: "+"): return .complete(.simpleString(String(decoding: line, as: UTF8.self)))
        case UInt8(ascii: "-"): return .complete(.error(String(decoding: line, as: UTF8.self)))
        case UInt8(ascii: ":"):
            guard let number = Self.integer(line) else { throw .invalidLength }
            return .complete(.integer(number))
        case UInt8(ascii: "$"):
            guard let length = Self.integer(line), length >= -1 else { throw .invalidLength }
            if length == -1 { return .complete(.bulkString(nil)) }
            guard length <= maxBulkBytes else { throw .tooLarge }
            let count = Int(length)
            guard buffer.count - cursor >= count + 2 else { return nil }
            let bytes = Array(buffer[cursor..<(cursor + count)])
            guard buffer[cursor + count] == 13, buffer[cursor + count + 1] == 10 else { throw .invalidLine }
            cursor += count + 2
            return .complete(.bulkString(bytes))
        case UInt8(ascii: "*"):
            guard let count = Self.integer(line), count >= -1 else { throw .invalidLength }
            if count == -1 { return .complete(.array(nil)) }
            guard count <= maxArrayCount else { throw .tooLarge }
            if count == 0 {
                guard open.count < maxDepth else { throw .tooDeep }
                return .complete(.array([]))
            }
            return .arrayOf(Int(count))
        default:
            throw .unknownType(type)
        }
    }

    /// The line at `cursor` up to CRLF (excluded); `nil` when the CRLF has not arrived.
    private mutating func line(_ cursor: inout Int) throws(Failure) -> ArraySlice<UInt8>? {
        var index = cursor
        while index < buffer.count {
            bytesScanned += 1
            let byte = buffer[index]
            if byte == 13 {
                guard index + 1 < buffer.count else { return nil }
                guard buffer[index + 1] == 10 else { throw .invalidLine }
                defer { cursor = index + 2 }
                return buffer[cursor..<index]
            }
            if byte == 10 { throw .invalidLine }
            index += 1
            if index - cursor > maxLineBytes { throw .tooLarge }
        }
        return nil
    }

    /// A decimal integer with an optional minus sign, nothing else.
    private static func integer(_ digits: ArraySlice<UInt8>) -> Int64? {
        guard !digits.isEmpty, digits.count <= 20 else { return nil }
        var index = digits.startIndex
        let negative = digits[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        guard index < digits.endIndex else { return nil }
        var value: Int64 = 0
        while index < digits.endIndex {
            let digit = digits[index]
            guard digit >= 48, digit <= 57 else { return nil }
            let (times, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = times.addingReportingOverflow(Int64(digit - 48))
            guard !overflowA, !overflowB else { return nil }
            value = sum
            index += 1
        }
        return negative ? -value : value
    }
}
