import Flagon
import Testing

/// `FLAGON_LISTEN`'s forms, read and written back.
@Suite struct ListenAddressTests {
    @Test func everyFormReadsAndWritesBack() throws {
        let cases: [(String, ListenAddress)] = [
            ("0.0.0.0:8080", .tcp(host: "0.0.0.0", port: 8080)),
            ("localhost:5000", .tcp(host: "localhost", port: 5000)),
            ("[::]:8080", .tcp(host: "::", port: 8080)),
            ("[::]:8080/ipv6-only", .tcp(host: "::", port: 8080, ipv6Only: true)),
            ("[2001:db8::1]:443", .tcp(host: "2001:db8::1", port: 443)),
            ("unix:/run/chat/flagon.sock", .unix(path: "/run/chat/flagon.sock")),
        ]
        for (text, address) in cases {
            #expect(ListenAddress(parsing: text) == address, "\(text)")
            #expect(address.description == text)
        }
        #expect(try ListenAddress.parseList("127.0.0.1:1, unix:/tmp/a.sock") == [.tcp(host: "127.0.0.1", port: 1), .unix(path: "/tmp/a.sock")])
    }

    @Test func whatCannotWorkIsRefusedByName() {
        for text in ["8080", "::1:80", "host:70000", "host:", ":80", "unix:relative.sock", "0.0.0.0:80/ipv6-only", "[::1]80"] {
            #expect(ListenAddress(parsing: text) == nil, "\(text)")
        }
        do {
            _ = try ListenAddress.parseList("127.0.0.1:1,nonsense")
            Issue.record("accepted")
        } catch {
            #expect("\(error)".contains("nonsense"))
        }
    }
}
