import Testing
@testable import FlagonHTTP

/// The status a parser answers for `text` fed in the given pieces (`nil`: no error, all parsed).
private func status(_ pieces: [String], limits: HTTPLimits = HTTPLimits()) -> Int? {
    var parser = HTTPRequestParser(limits: limits)
    do {
        for piece in pieces {
            parser.feed(Array(piece.utf8))
            while try parser.next() != nil {}
        }
        return nil
    } catch {
        return error.status
    }
}

/// Every way of cutting `text` into two or three pieces gives the same answer as the whole.
private func splitInvariant(_ text: String, limits: HTTPLimits = HTTPLimits()) -> Bool {
    let bytes = Array(text.utf8)
    let whole = status([text], limits: limits)
    for i in 0...bytes.count {
        for j in i...bytes.count where (j - i) % 3 == 0 || j == bytes.count {
            let pieces = [bytes[..<i], bytes[i..<j], bytes[j...]].map { String(decoding: $0, as: UTF8.self) }
            if status(pieces, limits: limits) != whole { return false }
        }
    }
    return true
}

@Suite struct HTTPStrictnessTests {
    @Test func bareLineFeedsAreRefusedAtOnce() throws {
        var parser = HTTPRequestParser()
        parser.feed(Array("GET / HTTP/1.1\nHost: a\n".utf8))   // no final empty line yet
        #expect(throws: HTTPParseError.malformed("bare LF in the request head (lines must end with CRLF)")) { try parser.next() }
        #expect(status(["GET / HTTP/1.1\r\nHost: a\n\r\n"]) == 400)
        #expect(status(["\nGET / HTTP/1.1\r\n\r\n"]) == 400)
    }

    @Test func bareCarriageReturnsAreRefusedAtOnce() {
        #expect(status(["GET /b HTTP/1.1\re"]) == 400)
        #expect(status(["GET /b HTTP/1.1\re\r\n\r\n"]) == 400)
        #expect(splitInvariant("GET /b HTTP/1.1\re\r\n\r\n", limits: { var l = HTTPLimits(); l.maxRequestLineBytes = 12; return l }()))
    }

    @Test func twoHostHeadersAreRefused() {
        #expect(status(["GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"]) == 400)
        #expect(status(["GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"]) == 400)
        #expect(status(["GET / HTTP/1.1\r\nHost: a\r\n\r\n"]) == nil)
    }

    @Test func aHeaderSectionOfExactlyTheLimitIsAcceptedHoweverItIsSplit() {
        var limits = HTTPLimits()
        limits.maxHeaderBytes = 40
        let fields = "Host: a\r\nX-Fill: " + String(repeating: "f", count: 40 - 9 - 8)   // 40 bytes of fields
        #expect(fields.utf8.count == 40)
        let exact = "GET / HTTP/1.1\r\n" + fields + "\r\n\r\n"
        #expect(status([exact], limits: limits) == nil)
        #expect(splitInvariant(exact, limits: limits))
        let over = "GET / HTTP/1.1\r\n" + fields + "g\r\n\r\n"
        #expect(status([over], limits: limits) == 431)
        #expect(splitInvariant(over, limits: limits))
    }

    @Test func aRequestLineOfExactlyTheLimitIsAcceptedHoweverItIsSplit() {
        var limits = HTTPLimits()
        limits.maxRequestLineBytes = 20
        let exact = "GET /" + String(repeating: "a", count: 6) + " HTTP/1.1\r\nHost: a\r\n\r\n"   // line of 20 bytes
        #expect(status([exact], limits: limits) == nil)
        #expect(splitInvariant(exact, limits: limits))
        let over = "GET /" + String(repeating: "a", count: 7) + " HTTP/1.1\r\nHost: a\r\n\r\n"
        #expect(status([over], limits: limits) == 414)
        #expect(splitInvariant(over, limits: limits))
    }

    @Test func errorsHaveMessagesInWords() {
        #expect(HTTPParseError.malformed("invalid request target").message == "invalid request target")
        #expect(HTTPParseError.headersTooLarge(max: 10).message == "the header section is larger than 10 bytes")
        #expect(WebSocketError.messageTooBig(max: 5).message == "message larger than the limit of 5 bytes")
    }

    @Test func webSocketKeyAndVersionAppearOnce() {
        var headers: HTTPHeaders = [
            "Host": "a", "Upgrade": "websocket", "Connection": "Upgrade",
            "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        ]
        #expect((try? WebSocketFrame.validateHandshake(method: "GET", headers: headers).get()) != nil)
        var twoKeys = headers
        twoKeys.add("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
        #expect(throws: WebSocketFrame.HandshakeRefusal.self) { try WebSocketFrame.validateHandshake(method: "GET", headers: twoKeys).get() }
        headers.add("Sec-WebSocket-Version", "13")
        #expect(throws: WebSocketFrame.HandshakeRefusal.self) { try WebSocketFrame.validateHandshake(method: "GET", headers: headers).get() }
    }

    /// Found by the HTTP fuzzer: raw non-ASCII bytes in the target grew past the limit
    /// once decoded with replacement characters.
    @Test func nonASCIIBytesInTheTargetAreRefused() {
        #expect(status(["POST /\u{FF}b HTTP/1.1\r\nHost: h\r\n\r\n"]) == 400)
        #expect(status(["GET /caf%C3%A9 HTTP/1.1\r\nHost: h\r\n\r\n"]) == nil)
    }

    /// Found by the HTTP fuzzer: trailers that fill the limit exactly were accepted whole
    /// but refused (431) when a read ended just before the final empty line.
    @Test func trailersUpToTheLimitAreAcceptedHoweverTheyAreSplit() {
        var limits = HTTPLimits()
        limits.maxHeaderBytes = 40
        let request = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n"
            + "X: " + String(repeating: "t", count: 37) + "\r\n\r\n"   // a trailer of exactly 40 bytes
        #expect(status([request], limits: limits) == nil)
        #expect(splitInvariant(request, limits: limits))
        let over = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n"
            + "X: " + String(repeating: "t", count: 38) + "\r\n\r\n"   // 41 bytes
        #expect(status([over], limits: limits) == 431)
        #expect(splitInvariant(over, limits: limits))
    }
}
