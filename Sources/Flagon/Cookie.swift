import FlagonHTTP

/// A `Set-Cookie` value with all its attributes.
///
/// ```swift
/// var cookie = Cookie(name: "theme", value: "dark")
/// cookie.maxAge = 3600
/// cookie.sameSite = .strict
/// response.setCookie(cookie)
/// ```
public struct Cookie: Sendable, Equatable {
    /// The `SameSite` attribute.
    public enum SameSite: String, Sendable {
        case strict = "Strict", lax = "Lax", none = "None"
    }

    public var name: String
    public var value: String
    public var path: String? = "/"
    public var domain: String?
    /// Lifetime in seconds (`Max-Age`); 0 deletes the cookie.
    public var maxAge: Int?
    /// Expiry as seconds since 1970 (`Expires`).
    public var expires: Int?
    public var secure = false
    public var httpOnly = false
    public var sameSite: SameSite?
    public var partitioned = false

    /// Creates a cookie with `Path=/` and no other attribute.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// The `Set-Cookie` header value.
    public var headerValue: String {
        var parts = ["\(name)=\(value)"]
        if let expires { parts.append("Expires=\(HTTPDate.format(expires))") }
        if let maxAge { parts.append("Max-Age=\(maxAge)") }
        if let domain { parts.append("Domain=\(domain)") }
        if let path { parts.append("Path=\(path)") }
        if secure || sameSite == SameSite.none { parts.append("Secure") }
        if httpOnly { parts.append("HttpOnly") }
        if let sameSite { parts.append("SameSite=\(sameSite.rawValue)") }
        if partitioned { parts.append("Partitioned") }
        return parts.joined(separator: "; ")
    }

    /// Parses a `Cookie` request header into name/value pairs (first occurrence wins).
    public static func parse(header: String) -> [String: String] {
        var examined = 0
        return parse(header: header, examined: &examined)
    }

    /// Parses, adding to `examined` the bytes looked at (for tests that count work): one
    /// pass to split, one per part to find `=` and trim; names are hashed, never compared
    /// with each other.
    static func parse(header: String, examined: inout Int) -> [String: String] {
        var cookies: [String: String] = [:]
        examined += header.utf8.count
        for part in header.split(separator: ";") {
            examined += part.utf8.count
            guard let equals = part.firstIndex(of: "=") else { continue }
            let name = String(part[..<equals].trimmingSpaces)
            var value = String(part[part.index(after: equals)...].trimmingSpaces)
            if value.count >= 2 && value.hasPrefix("\"") && value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            if !name.isEmpty && cookies[name] == nil { cookies[name] = value }
        }
        return cookies
    }
}
