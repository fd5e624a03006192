import FlagonLoop
import FlagonTLS

/// Where Redis is and how to log in, read from a URL (sans-IO):
///
/// ```text
/// redis://[[user]:password@]host[:port][/db]     host: DNS name, IPv4, or [IPv6]
/// rediss://…                                     the same over TLS
/// unix:///path/to/redis.sock[?db=N]
/// ```
///
/// User and password are percent-decoded; `db` is a number from 0. Anything else (another
/// scheme, a port out of range, a path that is no number, a query) is refused with the part
/// that is wrong. Over TLS, Redis's certificate is verified against the system's CAs, or the
/// CA file of ``tls``, for the URL's host name.
///
/// ```swift
/// let endpoint = try RedisEndpoint(url: "redis://app:s3cret@redis.internal:6380/2")
/// endpoint.host       // "redis.internal"
/// endpoint.user       // "app"
/// endpoint.database   // 2
/// ```
public struct RedisEndpoint: Sendable, Equatable {
    /// The host: a DNS name or an IP literal (without brackets).
    public var host: String
    /// The port (default 6379).
    public var port: Int
    /// The ACL user, when the URL names one (`AUTH user password`); else `AUTH password`.
    public var user: String?
    /// The password, when the URL has one.
    public var password: String?
    /// The database selected after connecting (default 0: none selected).
    public var database: Int
    /// The URL, its password hidden (``redacted(_:)``): what errors name.
    public var url: String
    /// `true` for `rediss://`: TLS, set up as ``tls`` says.
    public var usesTLS = false
    /// The unix-domain socket of a `unix://` URL (``host`` and ``port`` are then unused).
    public var socketPath: String?
    /// How TLS verifies Redis (for `rediss://`): the system's CAs by default.
    public var tls = RedisTLSOptions()

    /// Reads `url`.
    public init(url: String) throws(RedisClusterError) {
        if url.hasPrefix("unix://") {
            try self.init(unixURL: url)
        } else if url.hasPrefix("rediss://") {
            try self.init(networkURL: url, scheme: "rediss://")
        } else if url.hasPrefix("redis://") {
            try self.init(networkURL: url, scheme: "redis://")
        } else {
            throw .invalidURL(Self.redacted(url), "the scheme must be redis://, rediss:// or unix://")
        }
    }

    /// `redis://` or `rediss://`.
    private init(networkURL url: String, scheme: String) throws(RedisClusterError) {
        func refuse(_ why: String) -> RedisClusterError { .invalidURL(Self.redacted(url), why) }
        usesTLS = scheme == "rediss://"
        var rest = Substring(url.dropFirst(scheme.count))
        if rest.contains("?") || rest.contains("#") { throw refuse("a query or fragment is not understood") }
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        user = nil
        password = nil
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let name = credentials[..<colon]
                if !name.isEmpty {
                    guard let decoded = Self.percentDecoded(name) else { throw refuse("the user is not valid percent-encoded UTF-8") }
                    user = decoded
                }
                guard let secret = Self.percentDecoded(credentials[credentials.index(after: colon)...]) else {
                    throw refuse("the password is not valid percent-encoded UTF-8")
                }
                password = secret.isEmpty ? nil : secret
            } else {
                // `redis://secret@host`: a password alone, as redis-cli reads it.
                guard let secret = Self.percentDecoded(credentials) else { throw refuse("the password is not valid percent-encoded UTF-8") }
                password = secret.isEmpty ? nil : secret
            }
            if user != nil && password == nil { throw refuse("a user needs a password (redis://user:password@host)") }
        }
        var hostPart = rest
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw refuse("the IPv6 address has no closing ]") }
            hostPart = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") {
                portText = after.dropFirst()
            } else if !after.isEmpty {
                throw refuse("unexpected text after the IPv6 address")
            }
        } else if let colon = rest.lastIndex(of: ":") {
            hostPart = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        }
        guard !hostPart.isEmpty else { throw refuse("no host") }
        guard hostPart.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._:%".contains($0)) }) else {
            throw refuse("the host \"\(hostPart)\" is not a name or an IP address")
        }
        if let portText {
            guard let number = Int(portText), (1...65535).contains(number) else { throw refuse("the port \"\(portText)\" is not from 1 to 65535") }
            port = number
        } else {
            port = 6379
        }
        if path.isEmpty {
            database = 0
        } else {
            guard let number = Int(path), number >= 0 else { throw refuse("the database \"\(path)\" is not a number from 0") }
            database = number
        }
        host = String(hostPart)
        self.url = Self.redacted(url)
    }

    /// `unix:///path/to/redis.sock[?db=N]`.
    private init(unixURL url: String) throws(RedisClusterError) {
        func refuse(_ why: String) -> RedisClusterError { .invalidURL(Self.redacted(url), why) }
        var rest = Substring(url.dropFirst("unix://".count))
        database = 0
        if let question = rest.firstIndex(of: "?") {
            let query = rest[rest.index(after: question)...]
            rest = rest[..<question]
            for pair in query.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, parts[0] == "db" else { throw refuse("only db=N is understood in the query, not \"\(pair)\"") }
                guard let number = Int(parts[1]), number >= 0 else { throw refuse("the database \"\(parts[1])\" is not a number from 0") }
                database = number
            }
        }
        guard rest.hasPrefix("/") else { throw refuse("the socket path must be absolute (unix:///path/to/redis.sock)") }
        guard let path = Self.percentDecoded(rest), path.utf8.count < 108 else {
            throw refuse("the socket path is not valid or longer than 107 bytes")
        }
        socketPath = path
        host = path
        port = 0
        user = nil
        password = nil
        self.url = url
    }

    /// The URL with its password hidden, for errors and logs.
    public static func redacted(_ url: String) -> String {
        let text = Substring(url)
        var schemeEnd: Substring.Index?
        var index = text.startIndex
        while index < text.endIndex {
            if text[index...].hasPrefix("://") {
                schemeEnd = text.index(index, offsetBy: 3)
                break
            }
            index = text.index(after: index)
        }
        guard let schemeEnd, let at = text[schemeEnd...].lastIndex(of: "@") else { return url }
        let credentials = text[schemeEnd..<at]
        let user = credentials.firstIndex(of: ":").map { credentials[..<$0] } ?? ""
        return String(text[..<schemeEnd]) + user + ":***" + String(text[at...])
    }

    private static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var utf8 = text.utf8.makeIterator()
        while let byte = utf8.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = utf8.next().flatMap(hexValue), let low = utf8.next().flatMap(hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Opens a connection: resolves the host now (a DNS name may point elsewhere since the
    /// last time), connects to its first address that answers, logs in (`AUTH`), selects
    /// the database and checks that Redis answers (`PING`). Throws why it could not, with the password hidden.
    @LoopActor
    public func open(timeoutMilliseconds: UInt64 = 5000) async throws(RedisClusterError) -> RedisConnection {
        if let socketPath {
            let connection: RedisConnection
            do {
                connection = try await RedisConnection.connect(unixPath: socketPath, timeoutMilliseconds: timeoutMilliseconds)
            } catch {
                throw .unreachable(url, "\(error)")
            }
            return try await logIn(connection)
        }
        var security: (@LoopActor () -> any StreamSecurity)?
        if usesTLS {
            let context: TLSContext
            do {
                context = try tls.context()
            } catch {
                throw .invalidURL(url, "TLS: \(error)")
            }
            let serverName = tls.serverName ?? host
            security = {
                let engine = TLSEngine(context: context, serverName: serverName)
                try? engine.startHandshake()
                return engine
            }
        }
        let addresses: [SocketAddress]
        do {
            addresses = try await SocketAddress.resolve(host: host, port: port)
        } catch {
            throw .unreachable(url, "cannot resolve \(host): \(error)")
        }
        var lastError = ""
        for address in addresses {
            let connection: RedisConnection
            do {
                connection = try await RedisConnection.connect(to: address, timeoutMilliseconds: timeoutMilliseconds, security: security?())
            } catch {
                lastError = "\(error)"
                continue
            }
            return try await logIn(connection)
        }
        throw .unreachable(url, lastError)
    }

    /// Logs in, selects the database and checks that Redis answers.
    @LoopActor
    private func logIn(_ connection: RedisConnection) async throws(RedisClusterError) -> RedisConnection {
        do {
            if let password {
                if let user { _ = try await connection.command("AUTH", user, password) } else { _ = try await connection.command("AUTH", password) }
            }
            if database != 0 { _ = try await connection.command("SELECT", String(database)) }
            // A frozen Redis still completes TCP handshakes: connected means it answered.
            _ = try await connection.command("PING")
            return connection
        } catch {
            let why = connection.closeReason
            connection.close()
            if case .server(let message) = error { throw .refused(message) }
            throw .unreachable(url, why.map { "\(error): \($0)" } ?? "\(error)")
        }
    }

    /// The same credentials and TLS settings for another node of a Redis Cluster. TLS keeps
    /// verifying the name of the URL's host (or ``RedisTLSOptions/serverName``), as the
    /// nodes announce IP addresses.
    public func pointing(to node: RedisClusterNode) -> RedisEndpoint {
        var copy = self
        copy.host = node.host
        copy.port = node.port
        copy.socketPath = nil
        if usesTLS, copy.tls.serverName == nil { copy.tls.serverName = host }
        let scheme = usesTLS ? "rediss://" : "redis://"
        copy.url = scheme + (user.map { $0 + ":***@" } ?? (password == nil ? "" : ":***@")) + node.description
        return copy
    }

    /// `host:port/db`, without credentials.
    public var description: String {
        if let socketPath { return "unix:" + socketPath + (database == 0 ? "" : "/\(database)") }
        return (usesTLS ? "tls:" : "") + (host.contains(":") ? "[\(host)]" : host) + ":\(port)" + (database == 0 ? "" : "/\(database)")
    }
}
