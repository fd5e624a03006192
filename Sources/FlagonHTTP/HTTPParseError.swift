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

    /// What went wrong, in words, for the body of the error response.
    public var message: String {
        switch self {
        case .requestLineTooLong(let max): "the request line is longer than \(max) bytes"
        case .headersTooLarge(let max): "the header section is larger than \(max) bytes"
        case .tooManyHeaders(let max): "more than \(max) header fields"
        case .bodyTooLarge(let max): "the body is larger than \(max) bytes"
        case .malformed(let what): what
        case .unsupportedTransferEncoding(let coding): "unsupported transfer coding \(coding)"
        case .unsupportedVersion: "only HTTP/1.0 and HTTP/1.1 are supported"
        case .expectationFailed: "only the expectation 100-continue is supported"
        }
    }
}
