import Testing
import FlagonHTTP

/// RFC 4648's test vectors in both alphabets, from arrays, slices and other collections.
@Suite struct Base64Tests {
    @Test(arguments: [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
                      ("foobar", "Zm9vYmFy")])
    func rfc4648Vectors(plain: String, encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.encode(Array(plain.utf8), urlSafe: true) == String(encoded.filter { $0 != "=" }))
        #expect(Base64.decode(encoded) == Array(plain.utf8))
        #expect(Base64.decodedCount(encoded) == plain.utf8.count)
    }

    @Test func urlSafeAlphabetSlicesAndOtherCollections() {
        #expect(Base64.encode([251, 255], urlSafe: true) == "-_8")
        #expect(Base64.encode([251, 255]) == "+/8=")
        let bytes: [UInt8] = (0..<64).map { UInt8($0 * 4 + 3) }
        let slice = bytes[5..<25]
        #expect(Base64.encode(slice) == Base64.encode(Array(slice)))
        #expect(Base64.encode(bytes.reversed()) == Base64.encode(Array(bytes.reversed())))   // not contiguous
        for count in 0..<bytes.count {
            let part = Array(bytes.prefix(count))
            #expect(Base64.decode(Base64.encode(part)) == part)
            #expect(Base64.decode(Base64.encode(part, urlSafe: true)) == part)
            #expect(Base64.decodedCount(Base64.encode(part)) == count)
        }
        for invalid in ["Zg===", "Zg=a", "Z", "Zm9v!", "===="] {
            #expect(Base64.decode(invalid) == nil && Base64.decodedCount(invalid) == nil, "\(invalid)")
        }
    }
}

/// Comma-separated header tokens, as `Connection` and `Upgrade` carry them.
@Suite struct HeaderTokenTests {
    @Test func tokensAreFoundTrimmedAndCaseInsensitiveInEveryField() {
        let headers: HTTPHeaders = HTTPHeaders([("Connection", "keep-alive, \tUpgrade "), ("connection", "close"), ("X", ",,")])
        #expect(headers.hasToken("upgrade", in: "connection"))
        #expect(headers.hasToken("KEEP-ALIVE", in: "Connection"))
        #expect(headers.hasToken("close", in: "connection"))
        #expect(!headers.hasToken("keep", in: "connection"))
        #expect(!headers.hasToken("upgrade", in: "upgrade"))
        #expect(!headers.hasToken("", in: "x"))   // empty parts are no tokens
        #expect(!HTTPHeaders([("Connection", "")]).hasToken("close", in: "connection"))
    }
}
