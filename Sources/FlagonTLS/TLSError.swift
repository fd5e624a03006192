import CSSL

/// Why TLS failed: a handshake the peer or the configuration refused, a certificate that
/// could not be loaded or verified, or bytes that are not TLS.
public struct TLSError: Error, CustomStringConvertible, Sendable {
    /// What was being done and why it failed, with OpenSSL's reasons.
    public let description: String

    public init(_ description: String) { self.description = description }

    /// `operation` with the reasons OpenSSL queued (the queue is emptied).
    static func openSSL(_ operation: String) -> TLSError {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            if reasons.count < 4 {
                var text = [CChar](repeating: 0, count: 256)
                ERR_error_string_n(code, &text, text.count)
                reasons.append(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
        }
        return TLSError(reasons.isEmpty ? operation : "\(operation): \(reasons.joined(separator: "; "))")
    }
}
