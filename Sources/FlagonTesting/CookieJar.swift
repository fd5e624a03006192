import Flagon
import FlagonHTTP
import FlagonLoop

/// Keeps the cookies a server sets and sends them back, as a browser would (no domain
/// or path matching: a test talks to one app).
@LoopActor
public final class CookieJar {
    /// The cookies held, by name.
    public private(set) var cookies: [String: String] = [:]

    /// Creates an empty jar.
    public init() {}

    /// Takes in a response's `Set-Cookie` headers.
    public func store(from headers: HTTPHeaders) {
        for header in headers.values(for: "set-cookie") {
            let parts = header.split(separator: ";")
            guard let first = parts.first, let equals = first.firstIndex(of: "=") else { continue }
            let name = String(first[..<equals].trimmingSpaces)
            let value = String(first[first.index(after: equals)...].trimmingSpaces)
            let expired = parts.dropFirst().contains { $0.trimmingSpaces.lowercased() == "max-age=0" }
            cookies[name] = expired ? nil : value
        }
    }

    /// Sets a cookie by hand.
    public func set(_ name: String, _ value: String?) { cookies[name] = value }

    /// Adds the `Cookie` header to `headers` when the jar is not empty.
    public func apply(to headers: inout HTTPHeaders) {
        guard !cookies.isEmpty, !headers.contains("cookie") else { return }
        headers.add("Cookie", cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
    }
}
