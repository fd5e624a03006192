import CLibUV

/// An error reported by libuv, carrying its symbolic name and message.
///
/// ```swift
/// do { _ = try TCPListener(host: "127.0.0.1", port: 80) { _ in } }
/// catch { print(error.name) }   // "EACCES"
/// ```
public struct UVError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The negative libuv status code.
    public let code: Int32
    /// What the program was doing when the error happened.
    public let operation: String

    /// Wraps a libuv status code.
    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// The symbolic name of the error, such as `ECONNRESET`.
    public var name: String { String(cString: uv_err_name(code)) }
    /// The human-readable message of the error.
    public var message: String { String(cString: uv_strerror(code)) }
    /// `true` when the peer closed the stream (end of file).
    public var isEndOfFile: Bool { code == Int32(UV_EOF.rawValue) }

    public var description: String { "\(operation): \(name) (\(message))" }

    /// Throws when `status` is a libuv error (negative).
    @inline(__always)
    static func check(_ status: Int32, _ operation: @autoclosure () -> String) throws(UVError) {
        if status < 0 { throw UVError(code: status, operation: operation()) }
    }
}
