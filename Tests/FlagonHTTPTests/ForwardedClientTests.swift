import FlagonHTTP
import Testing

/// CIDR networks and the client behind trusted proxies, from literal headers.
@Suite struct ForwardedClientTests {
    let trusted = [IPNetwork("127.0.0.1")!, IPNetwork("10.0.0.0/8")!, IPNetwork("fd00::/8")!]

    func client(_ fields: [(String, String)]) -> ForwardedClient? {
        var headers = HTTPHeaders()
        for (name, value) in fields { headers.add(name, value) }
        return ForwardedClient(headers: headers) { bytes in trusted.contains { $0.contains(bytes) } }
    }

    @Test func networksParseAndContain() throws {
        let ten = try #require(IPNetwork("10.0.0.0/8"))
        #expect(ten.contains(IPAddressBytes.parse("10.255.1.2")!) && !ten.contains(IPAddressBytes.parse("11.0.0.1")!))
        #expect(ten.contains(IPAddressBytes.parse("::ffff:10.1.2.3")!))   // IPv4-mapped
        let v6 = try #require(IPNetwork("2001:db8::/32"))
        #expect(v6.contains(IPAddressBytes.parse("2001:db8:ffff::1")!) && !v6.contains(IPAddressBytes.parse("2001:db9::1")!))
        #expect(IPNetwork("192.168.1.77/24")?.description == "192.168.1.0/24")
        #expect(IPNetwork("::1")?.prefixLength == 128)
        for bad in ["", "10.0.0", "10.0.0.256", "10.0.0.0/33", "::1/129", "1:2:3:4:5:6:7:8:9", "1::2::3", "abc", "10.0.0.0/x", " 10.0.0.1"] {
            #expect(IPNetwork(bad) == nil, "\(bad)")
        }
    }

    @Test func xForwardedForIsReadFromTheRightUpToTheFirstUntrustedHop() {
        // The client wrote "1.1.1.1" itself; 203.0.113.7 reached the trusted 10.0.0.5, which reached us.
        let found = client([("X-Forwarded-For", "1.1.1.1, 203.0.113.7, 10.0.0.5"), ("X-Forwarded-Proto", "https")])
        #expect(found == ForwardedClient.expected("203.0.113.7:0", "https"))
        // Several header lines are one list.
        #expect(client([("X-Forwarded-For", "198.51.100.2"), ("X-Forwarded-For", "10.0.0.9")])?.address == "198.51.100.2:0")
        // Only trusted hops: the leftmost one is the client.
        #expect(client([("X-Forwarded-For", "10.0.0.1, 10.0.0.2")])?.address == "10.0.0.1:0")
        // Garbage stops the search: the hop to its right (trusted, but the last known) is used.
        #expect(client([("X-Forwarded-For", "203.0.113.7, not-an-ip, 10.0.0.5")])?.address == "10.0.0.5:0")
        #expect(client([]) == nil)
        #expect(client([("X-Forwarded-For", "garbage")]) == nil)
    }

    @Test func forwardedWinsAndCarriesPortsIPv6AndProto() {
        let found = client([
            ("Forwarded", #"for="[2001:db8:cafe::17]:4711";proto=https, for=10.1.2.3"#),
            ("X-Forwarded-For", "6.6.6.6"),
        ])
        #expect(found == ForwardedClient.expected("[2001:db8:cafe:0:0:0:0:17]:4711", "https"))
        #expect(client([("Forwarded", "for=192.0.2.60:8080;proto=http;by=203.0.113.43")]) == ForwardedClient.expected("192.0.2.60:8080", "http"))
        #expect(client([("Forwarded", "for=unknown")]) == nil)
        #expect(client([("Forwarded", #"for="_hidden", for=198.51.100.17"#)])?.address == "198.51.100.17:0")
        #expect(client([("Forwarded", "for=192.0.2.1;proto=gopher")])?.scheme == nil)
    }

    @Test func aLongChainIsCutAndCostsLinearWork() {
        let hops = (0..<100_000).map { "10.0.\($0 / 256 % 256).\($0 % 256)" }.joined(separator: ",")
        let found = client([("X-Forwarded-For", "203.0.113.1," + hops)])
        // Only the last 32 hops are read: all trusted, so the leftmost of them is taken.
        #expect(found?.address.hasPrefix("10.0.") == true)
    }
}

extension ForwardedClient {
    /// What a test expects, built through the parser itself.
    static func expected(_ address: String, _ scheme: String?) -> ForwardedClient? {
        var headers = HTTPHeaders()
        headers.add("Forwarded", "for=\"\(address)\"" + (scheme.map { ";proto=\($0)" } ?? ""))
        return ForwardedClient(headers: headers) { _ in false }
    }
}
