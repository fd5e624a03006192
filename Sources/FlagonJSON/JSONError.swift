/// Why JSON text could not be parsed or a value could not be written.
public enum JSONError: Error, Sendable, Equatable {
    /// Unexpected input at this byte offset.
    case unexpected(offset: Int, String)
    /// The input ended inside a value.
    case unexpectedEnd
    /// Arrays and objects nest deeper than the limit.
    case tooDeep(max: Int)
    /// A string holds bytes that are not UTF-8.
    case invalidUTF8(offset: Int)
    /// NaN and infinities have no JSON form.
    case nonFiniteNumber
    /// Binary data met where no placeholder writer was given.
    case binaryNotAllowed
}
