@testable import FlagonHTTP
import Testing

/// SHA-1 against the FIPS 180 examples, every padding length, and RFC 6455's accept value.
@Suite struct SHA1Tests {
    private func hex(_ message: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: 20)
        message.withUnsafeBytes { input in digest.withUnsafeMutableBytes { SHA1.hash(input, into: $0) } }
        return digest.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    @Test func knownDigests() {
        #expect(hex([]) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(hex(Array("abc".utf8)) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        // 56 bytes: the length no longer fits the first padding block.
        #expect(hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        #expect(hex(Array("The quick brown fox jumps over the lazy dog".utf8)) == "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12")
        #expect(hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }

    @Test func theHandshakeAcceptValue() {
        #expect(WebSocketFrame.acceptValue(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")   // RFC 6455, 1.3
        #expect(WebSocketFrame.acceptValue(forKey: "") == "Kfh9QIsMVZcl6xEPYxPHzW8SZ8w=")   // SHA-1 of the GUID alone
    }
}
