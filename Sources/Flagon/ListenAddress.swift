/// Where a server listens: a TCP address, or a unix-domain socket (an nginx upstream on the
/// same machine). A server may listen on several at once (``ServerOptions/listen``).
///
/// ```swift
/// options.listen = [.tcp(host: "0.0.0.0", port: 8080), .tcp(host: "::", port: 8080, ipv6Only: true),
///                   .unix(path: "/run/chat/flagon.sock")]
/// let parsed = ListenAddress(parsing: "unix:/run/chat/flagon.sock")
/// ```
public enum ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// TCP on `host` and `port`. An IPv6 host (`::`) takes IPv4 clients as well (dual stack)
    /// unless `ipv6Only`, which leaves IPv4 to another listener on `0.0.0.0`.
    case tcp(host: String, port: Int, ipv6Only: Bool = false)
    /// A unix-domain socket at `path`, whose file gets `permissions` (default `0o660`: the
    /// owner and its group may connect, such as an nginx in that group). Its peers count
    /// as trusted proxies when ``ServerOptions/trustsUnixSocketPeers`` (the default).
    case unix(path: String, permissions: UInt16 = 0o660)

    /// Reads `host:port`, `[v6]:port`, `[v6]:port/ipv6-only` or `unix:/path`; `nil` for
    /// anything else.
    public init?(parsing text: String) {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard path.hasPrefix("/") else { return nil }
            self = .unix(path: path)
            return
        }
        var rest = Substring(text)
        let ipv6Only = rest.hasSuffix("/ipv6-only")
        if ipv6Only { rest = rest.dropLast("/ipv6-only".count) }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]), (0...65535).contains(port)
        else { return nil }
        var host = rest[..<colon]
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = host.dropFirst().dropLast()
        } else if host.contains(":") {
            return nil   // an IPv6 host goes in brackets
        }
        guard !host.isEmpty, !ipv6Only || host.contains(":") else { return nil }
        self = .tcp(host: String(host), port: port, ipv6Only: ipv6Only)
    }

    /// The form ``init(parsing:)`` reads.
    public var description: String {
        switch self {
        case .tcp(let host, let port, let ipv6Only):
            let shown = host.contains(":") ? "[\(host)]" : host
            return "\(shown):\(port)" + (ipv6Only ? "/ipv6-only" : "")
        case .unix(let path, _):
            return "unix:" + path
        }
    }

    /// Reads a comma-separated list (`FLAGON_LISTEN`); throws naming the entry that is wrong.
    public static func parseList(_ text: String) throws -> [ListenAddress] {
        try text.split(separator: ",").map { item in
            let entry = String(item.trimmingSpaces)
            guard let address = ListenAddress(parsing: entry) else {
                throw AppBuildError.invalidConfiguration("FLAGON_LISTEN: \(entry) is not host:port, [ipv6]:port or unix:/path")
            }
            return address
        }
    }
}
