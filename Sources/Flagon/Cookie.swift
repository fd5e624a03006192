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
        if let expires { parts.append("Expires=\(HTTPDateText.format(expires))") }
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
        var cookies: [String: String] = [:]
        for part in header.split(separator: ";") {
            guard let equals = part.firstIndex(of: "=") else { continue }
            let name = part[..<equals].trimmingCharacters(" ")
            var value = part[part.index(after: equals)...].trimmingCharacters(" ")
            if value.count >= 2 && value.hasPrefix("\"") && value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            if !name.isEmpty && cookies[name] == nil { cookies[name] = value }
        }
        return cookies
    }
}

import FlagonHTTP
typealias HTTPDateText = HTTPDate

extension Substring {
    func trimmingCharacters(_ character: Character) -> String {
        var s = self
        while s.first == character || s.first == "\t" { s.removeFirst() }
        while s.last == character || s.last == "\t" { s.removeLast() }
        return String(s)
    }
}
