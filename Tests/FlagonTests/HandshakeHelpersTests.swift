import FlagonHTTP
import FlagonLoop
import Testing
@testable import Flagon

/// The pieces a connection's handshake is made of, checked against their general forms:
/// SHA-1 against libcrypto's, an IPv4 address written by hand against the parsed one, the
/// table of common header strings against a dictionary, the query and target splitters.
@Suite struct HandshakeHelpersTests {
    @Test func sha1AgreesWithLibcryptoAtEveryLength() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...300 {
            let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var digest = [UInt8](repeating: 0, count: 20)
            message.withUnsafeBytes { input in digest.withUnsafeMutableBytes { SHA1.hash(input, into: $0) } }
            #expect(digest == Crypto.sha1(message), "length \(length)")
        }
    }

    @Test func ipv4AddressesAreWrittenAsTheirParts() throws {
        for (host, port) in [("0.0.0.0", 0), ("127.0.0.1", 8080), ("10.20.3.4", 443), ("255.255.255.255", 65535), ("192.168.100.9", 9)] {
            let address = try SocketAddress(host: host, port: port)
            #expect(address.description == "\(host):\(port)")
            #expect(address.description == "\(address.host):\(address.port)")
        }
        #expect(try SocketAddress(host: "::1", port: 80).description == "[::1]:80")
    }

    @Test func commonStringsAreFoundByTheirExactBytes() {
        let strings = ["Host", "host", "Upgrade", "upgrade", "websocket", "Upgrade", "13", "keep-alive, Upgrade", "x"]
        let table = CommonStringTable(strings)
        var first: [String: Int] = [:]
        for (index, string) in strings.enumerated() where first[string] == nil { first[string] = index }
        func code(_ string: String) -> Int? {
            var string = string
            return string.withUTF8 { table.code($0) }.map(Int.init)
        }
        for string in strings { #expect(code(string) == first[string], "\(string)") }   // a repeat keeps its first number
        for other in ["HOST", "Hosts", "hos", "", "websockeT", "14", "keep-alive", "y", "upgradE"] { #expect(code(other) == nil, "\(other)") }
    }

    @Test func queriesAndTargetsSplitOnTheirBytes() {
        let query = QueryParameters("a=1&&b=%41%42&c=x+y&d&=e&f=caf%C3%A9&g=a=b&h=%zz")
        #expect(query.pairs.map(\.name) == ["a", "b", "c", "d", "", "f", "g", "h"])
        #expect(query.pairs.map(\.value) == ["1", "AB", "x y", "", "e", "café", "a=b", "%zz"])
        #expect(query.count(of: "a") == 1 && QueryParameters("a=1&a=2").count(of: "a") == 2 && query.count(of: "z") == 0)
        let plain = Request(method: "GET", target: "/a%20b/c?x=1&y=%20#frag")
        #expect(plain.path == "/a b/c" && plain.rawQuery == "x=1&y=%20")
        let bare = Request(method: "GET", target: "/p?#x")
        #expect(bare.path == "/p" && bare.rawQuery == "")
        let noQuery = Request(method: "GET", target: "/only%2Fpath#x?y")
        #expect(noQuery.path == "/only/path" && noQuery.rawQuery == "")
    }

    @Test func mountedPathsAreMatchedByTheirBytes() {
        #expect(App.rest(of: "/socket.io/", under: "/socket.io") == "/")
        #expect(App.rest(of: "/socket.io", under: "/socket.io") == "")
        #expect(App.rest(of: "/socket.iox", under: "/socket.io") == nil)
        #expect(App.rest(of: "/sub/café/x", under: "/sub") == "/café/x")
        #expect(App.rest(of: "/s", under: "/sub") == nil)
        #expect(App.rest(of: "/café/a", under: "/café") == "/a")
    }
}
