/// Why a request could not be parsed; each case maps to the HTTP status sent back.
public enum HTTPParseError: Error, Equatable, Sendable {
    /// The request line is longer than the limit (414).
    case requestLineTooLong(max: Int)
    /// The header section is larger than the limit (431).
    case headersTooLarge(max: Int)
    /// There are more header fields than the limit (431).
    case tooManyHeaders(max: Int)
    /// The body is larger than the limit (413).
    case bodyTooLarge(max: Int)
    /// The request breaks the syntax of HTTP/1.1 (400).
    case malformed(String)
    /// A transfer coding other than `chunked` (501).
    case unsupportedTransferEncoding(String)
    /// An HTTP version other than 1.0 and 1.1 (505).
    case unsupportedVersion
    /// An `Expect` value other than `100-continue` (417).
    case expectationFailed

    /// The status code to answer with.
    public var status: Int {
        switch self {
        case .requestLineTooLong: 414
        case .headersTooLarge, .tooManyHeaders: 431
        case .bodyTooLarge: 413
        case .malformed: 400
        case .unsupportedTransferEncoding: 501
        case .unsupportedVersion: 505
        case .expectationFailed: 417
        }
    }
}
