/// Size limits applied by ``HTTPRequestParser``.
///
/// ```swift
/// var limits = HTTPLimits()
/// limits.maxBodyBytes = 64 * 1024
/// ```
public struct HTTPLimits: Sendable, Equatable {
    /// Longest request line, CRLF excluded (default 8 KiB; over it: 414).
    public var maxRequestLineBytes = 8 * 1024
    /// Largest header section, request line excluded (default 16 KiB, as Node; over it: 431).
    public var maxHeaderBytes = 16 * 1024
    /// Most header fields (default 100; over it: 431).
    public var maxHeaderCount = 100
    /// Largest request body, after chunked decoding (default 8 MiB; over it: 413).
    public var maxBodyBytes = 8 * 1024 * 1024

    /// The defaults.
    public init() {}
}
