import FlagonRedisAdapter
import Testing

/// Every form of a Redis URL an operator writes, and the refusals that name what is wrong.
@Suite struct RedisEndpointTests {
    @Test func theFormsOperatorsUse() throws {
        let plain = try RedisEndpoint(url: "redis://redis:6379")
        #expect((plain.host, plain.port, plain.user, plain.password, plain.database) == ("redis", 6379, nil, nil, 0))
        let full = try RedisEndpoint(url: "redis://app:s3cr%40t@cache.internal:6380/2")
        #expect((full.host, full.port, full.user, full.password, full.database) == ("cache.internal", 6380, "app", "s3cr@t", 2))
        let passwordOnly = try RedisEndpoint(url: "redis://:pw@10.0.0.5")
        #expect((passwordOnly.host, passwordOnly.port, passwordOnly.user, passwordOnly.password) == ("10.0.0.5", 6379, nil, "pw"))
        let bare = try RedisEndpoint(url: "redis://pw@localhost/0")
        #expect((bare.host, bare.user, bare.password, bare.database) == ("localhost", nil, "pw", 0))
        let ipv6 = try RedisEndpoint(url: "redis://[::1]:7000/15")
        #expect((ipv6.host, ipv6.port, ipv6.database) == ("::1", 7000, 15))
        #expect(ipv6.description == "[::1]:7000/15")
        #expect(try RedisEndpoint(url: "redis://[fe80::1]").port == 6379)
        #expect(try RedisEndpoint(url: "redis://h/").database == 0)
        #expect(!plain.usesTLS && plain.socketPath == nil)
    }

    @Test func tlsAndUnixSocketForms() throws {
        let tls = try RedisEndpoint(url: "rediss://app:pw@redis.example.com:6380/1")
        #expect(tls.usesTLS && (tls.host, tls.port, tls.user, tls.password, tls.database) == ("redis.example.com", 6380, "app", "pw", 1))
        #expect(tls.description == "tls:redis.example.com:6380/1")
        #expect(tls.tls.verifyPeer && tls.tls.caFile == nil)
        let unix = try RedisEndpoint(url: "unix:///run/redis/redis%20server.sock?db=3")
        #expect(unix.socketPath == "/run/redis/redis server.sock" && unix.database == 3 && !unix.usesTLS)
        #expect(unix.description == "unix:/run/redis/redis server.sock/3")
        #expect(try RedisEndpoint(url: "unix:///tmp/r.sock").database == 0)
    }

    @Test(arguments: [
        ("http://h:6379", "the scheme must be redis://, rediss:// or unix://"),
        ("redis://h:0", "the port \"0\" is not from 1 to 65535"),
        ("redis://h:65536", "the port \"65536\" is not from 1 to 65535"),
        ("redis://h:x", "the port \"x\" is not from 1 to 65535"),
        ("redis://h/db", "the database \"db\" is not a number from 0"),
        ("redis://h/-1", "the database \"-1\" is not a number from 0"),
        ("redis://:pw@", "no host"),
        ("redis://[::1", "the IPv6 address has no closing ]"),
        ("redis://[::1]x", "unexpected text after the IPv6 address"),
        ("redis://user:@h", "a user needs a password (redis://user:password@host)"),
        ("redis://u:%zz@h", "the password is not valid percent-encoded UTF-8"),
        ("redis://h?timeout=1", "a query or fragment is not understood"),
        ("redis://bad host", "the host \"bad host\" is not a name or an IP address"),
        ("rediss://h:x", "the port \"x\" is not from 1 to 65535"),
        ("unix://run/redis.sock", "the socket path must be absolute (unix:///path/to/redis.sock)"),
        ("unix:///run/redis.sock?timeout=1", "only db=N is understood in the query, not \"timeout=1\""),
        ("unix:///run/redis.sock?db=x", "the database \"x\" is not a number from 0"),
        ("unix:///" + String(repeating: "a", count: 120), "the socket path is not valid or longer than 107 bytes"),
    ])
    func urlsThatCannotWorkAreRefusedWithTheReason(url: String, reason: String) {
        #expect(throws: RedisClusterError.invalidURL(RedisEndpoint.redacted(url), reason)) { try RedisEndpoint(url: url) }
    }

    @Test func passwordsNeverReachAnError() {
        #expect(RedisEndpoint.redacted("redis://app:s3cret@h:1/2") == "redis://app:***@h:1/2")
        #expect(RedisEndpoint.redacted("redis://:s3cret@h") == "redis://:***@h")
        #expect(RedisEndpoint.redacted("redis://h:1") == "redis://h:1")
        let error = (try? RedisEndpoint(url: "redis://app:s3cret@h:99999")).map { _ in "" } ?? ""
        #expect(!error.contains("s3cret"))
        do {
            _ = try RedisEndpoint(url: "redis://app:s3cret@h:99999")
        } catch {
            #expect(!error.description.contains("s3cret"))
        }
    }
}
