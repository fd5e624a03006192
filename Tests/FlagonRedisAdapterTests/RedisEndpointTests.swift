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
    }

    @Test(arguments: [
        ("http://h:6379", "the scheme must be redis://"),
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
        ("rediss://h", "TLS (rediss://) is not supported yet: use redis:// (through a TLS tunnel if needed)"),
        ("unix:///run/redis.sock", "unix sockets (unix://) are not supported yet: use redis://host:port"),
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
