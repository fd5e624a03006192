import FlagonCompression
import Testing

@Suite struct CompressionTests {
    private let text = Array(String(repeating: "{\"user\":\"ann\",\"text\":\"hello, world\"},", count: 200).utf8)

    @Test(arguments: [Deflate.Format.gzip, .zlib, .raw])
    func compressedBytesInflateBackWithinTheLimit(_ format: Deflate.Format) throws {
        let compressed = try #require(Deflate.compress(text, format: format))
        #expect(compressed.count < text.count / 10)
        #expect(try Deflate.decompress(compressed, format: format, limit: text.count) == text)
        #expect(throws: InflateError.tooLarge(limit: 1000)) { try Deflate.decompress(compressed, format: format, limit: 1000) }
    }

    @Test func framingsAreTheStandardOnes() throws {
        let gzip = try #require(Deflate.compress(text, format: .gzip))
        #expect(gzip.prefix(3) == [0x1f, 0x8b, 0x08])   // RFC 1952 magic, deflate
        let zlib = try #require(Deflate.compress(text, format: .zlib))
        #expect(zlib[0] == 0x78 && (UInt16(zlib[0]) << 8 | UInt16(zlib[1])) % 31 == 0)   // RFC 1950 header check
        // RFC 7692 section 7.2.3.1's example: "Hello" compressed with no context takeover.
        #expect(try Deflate.decompress([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00, 0x00, 0xff, 0xff], format: .raw, limit: 100)
            == Array("Hello".utf8))
    }

    @Test(arguments: [[], [0x1f, 0x8b], [0x78, 0x9c, 0xff, 0xff, 0xff], Array("not compressed at all".utf8)] as [[UInt8]])
    func garbageIsAnError(_ bytes: [UInt8]) {
        #expect(throws: InflateError.self) { try Deflate.decompress(bytes, format: .zlib, limit: 1 << 20) }
    }

    /// A bomb: 10 MB of zeros compress to about 10 KB; inflating stops at the limit.
    @Test func aBombStopsAtTheLimit() throws {
        let bomb = try #require(Deflate.compress([UInt8](repeating: 0, count: 10_000_000), format: .raw, level: 9))
        #expect(bomb.count < 20_000)
        #expect(throws: InflateError.tooLarge(limit: 1_000_000)) { try Deflate.decompress(bomb, format: .raw, limit: 1_000_000) }
    }

    @Test(arguments: [
        ("gzip, deflate, br", ContentCoding.gzip), ("deflate", .deflate), ("deflate;q=0.9, gzip;q=0.5", .deflate),
        ("gzip;q=0, *", .deflate), ("*;q=0", nil), ("identity", nil), ("", nil), ("GZIP", .gzip), ("gzip;q=0.001", .gzip),
        ("gzip;q=abc", nil), (" deflate ; q=1 ", .deflate),
    ] as [(String, ContentCoding?)])
    func acceptEncodingChoosesByQuality(_ header: String, _ expected: ContentCoding?) {
        #expect(ContentCoding.preferred(header) == expected)
    }

    /// The reusable codecs: many messages through one zlib state each, the same bytes as the
    /// one-shot functions, bombs stopped, exact multiples of the chunk size.
    @Test func reusableCodecsCompressManyMessages() throws {
        let deflater = MessageDeflater()
        let inflater = MessageInflater()
        for size in [0, 1, 100, 16_384, 32_768, 100_000] {
            let message = (0..<size).map { UInt8(truncatingIfNeeded: $0 % 7 &* 31) }
            let compressed = try #require(deflater.compress(message))
            #expect(compressed == Deflate.compressMessage(message))
            #expect(try inflater.decompress(compressed, limit: 1 << 20) == message)
            #expect(try Deflate.decompressMessage(compressed, limit: 1 << 20) == message)
        }
        let bomb = try #require(deflater.compress([UInt8](repeating: 0, count: 5_000_000)))
        #expect(throws: InflateError.tooLarge(limit: 1_000_000)) { try inflater.decompress(bomb, limit: 1_000_000) }
        #expect(throws: InflateError.self) { try inflater.decompress([0xff, 0xff, 0xff], limit: 1000) }
        #expect(try inflater.decompress(try #require(deflater.compress(Array("after".utf8))), limit: 100) == Array("after".utf8))
    }
}
