import Testing
@testable import FlagonHTTP

private func parseAll(_ chunks: [[UInt8]], limits: HTTPLimits = HTTPLimits()) throws(HTTPParseError) -> [HTTPRequestParser.Event] {
    var parser = HTTPRequestParser(limits: limits)
    var events: [HTTPRequestParser.Event] = []
    for chunk in chunks {
        parser.feed(chunk)
        while let event = try parser.next() { events.append(event) }
    }
    return events
}

private func requests(_ events: [HTTPRequestParser.Event]) -> [HTTPRequestMessage] {
    events.compactMap { if case .request(let message) = $0 { message } else { nil } }
}

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

private func parseError(_ text: String, limits: HTTPLimits = HTTPLimits()) -> HTTPParseError? {
    do { _ = try parseAll([bytes(text)], limits: limits); return nil } catch { return error }
}

@Suite struct HTTPRequestParserTests {
    static let pipelined =
        "GET /a?x=1 HTTP/1.1\r\nHost: h\r\nUser-Agent: t\r\n\r\n"
        + "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
        + "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n1A\r\n" + String(repeating: "z", count: 26) + "\r\n0\r\nTrailer: x\r\n\r\n"
        + "HEAD /d HTTP/1.0\r\n\r\n"

    @Test func parsesPipelinedRequestsWithEveryFraming() throws {
        let messages = requests(try parseAll([bytes(Self.pipelined)]))
        #expect(messages.map(\.head.method) == ["GET", "POST", "PUT", "HEAD"])
        #expect(messages.map(\.head.target) == ["/a?x=1", "/b", "/c", "/d"])
        #expect(messages[0].head.headers["user-agent"] == "t")
        #expect(messages[1].body == bytes("hello"))
        #expect(messages[2].body == bytes("abc" + String(repeating: "z", count: 26)))
        #expect(messages[3].head.minorVersion == 0)
        #expect(messages[3].head.keepAlive == false)
        #expect(messages[0].head.keepAlive == true)
    }

    /// Common long header names become literals; every name keeps its spelling exactly.
    @Test func longHeaderNamesKeepTheirSpelling() throws {
        let text = "GET / HTTP/1.1\r\nHost: h\r\nSec-WebSocket-Key: k\r\nsec-websocket-version: 13\r\n"
            + "SEC-WEBSOCKET-PROTOCOL: p\r\nSec-WebSocket-Kez: z\r\n\r\n"
        let head = try #require(requests(try parseAll([bytes(text)])).first).head
        #expect(head.headers.map(\.0) == ["Host", "Sec-WebSocket-Key", "sec-websocket-version", "SEC-WEBSOCKET-PROTOCOL", "Sec-WebSocket-Kez"])
        #expect(head.headers["sec-websocket-key"] == "k" && head.headers["Sec-WebSocket-Version"] == "13")
    }

    @Test func splittingAtEveryBytePositionGivesTheSameRequests() throws {
        let all = bytes(Self.pipelined)
        let expected = requests(try parseAll([all]))
        for cut in 0...all.count {
            let got = requests(try parseAll([Array(all[..<cut]), Array(all[cut...])]))
            #expect(got == expected, "split at \(cut)")
        }
        // And one byte at a time.
        #expect(requests(try parseAll(all.map { [$0] })) == expected)
    }

    @Test func splittingEveryRequestAtEveryPairOfPositions() throws {
        let all = bytes("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n")
        let expected = requests(try parseAll([all]))
        #expect(expected.first?.body == bytes("wikipedia"))
        for a in 0...all.count {
            for b in a...all.count {
                let got = requests(try parseAll([Array(all[..<a]), Array(all[a..<b]), Array(all[b...])]))
                #expect(got == expected)
            }
        }
    }

    @Test func connectionHeadersDecideKeepAlive() throws {
        let close = requests(try parseAll([bytes("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")]))
        #expect(close[0].head.keepAlive == false)
        let keep10 = requests(try parseAll([bytes("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")]))
        #expect(keep10[0].head.keepAlive == true)
    }

    @Test func expectContinueIsReportedBeforeTheBody() throws {
        var parser = HTTPRequestParser()
        parser.feed(bytes("POST /u HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"))
        #expect(try parser.next() == .continueExpected)
        #expect(try parser.next() == nil)
        parser.feed(bytes("abc"))
        guard case .request(let message)? = try parser.next() else { Issue.record("no request"); return }
        #expect(message.body == bytes("abc"))
        #expect(message.head.expectsContinue)
    }

    @Test func limitsMapToTheirStatuses() {
        var limits = HTTPLimits()
        limits.maxRequestLineBytes = 32
        limits.maxHeaderBytes = 64
        limits.maxHeaderCount = 3
        limits.maxBodyBytes = 10
        #expect(parseError("GET /" + String(repeating: "a", count: 40) + " HTTP/1.1\r\n\r\n", limits: limits)?.status == 414)
        // Request line too long even before its end has arrived.
        #expect(parseError("GET /" + String(repeating: "a", count: 40), limits: limits)?.status == 414)
        #expect(parseError("GET / HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "a", count: 80) + "\r\n\r\n", limits: limits)?.status == 431)
        #expect(parseError("GET / HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "a", count: 80), limits: limits)?.status == 431)
        #expect(parseError("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: limits)?.status == 431)
        #expect(parseError("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", limits: limits) == .bodyTooLarge(max: 10))
        #expect(parseError("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n", limits: limits)?.status == 413)
    }

    @Test(arguments: [
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",   // smuggling
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 4\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n",
        "GET / HTTP/1.1\r\nHost : h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\u{01}b\r\n\r\n",
        "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
        "G(T / HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTX/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",   // no Host in HTTP/1.1
        "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY",
    ])
    func malformedRequestsAreRejectedWith400(_ text: String) {
        #expect(parseError(text)?.status == 400)
    }

    @Test func otherRejections() {
        #expect(parseError("GET / HTTP/2.0\r\nHost: h\r\n\r\n") == .unsupportedVersion)
        #expect(parseError("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")?.status == 501)
        #expect(parseError("POST / HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\n\r\n")?.status == 417)
    }

    @Test func aFailedParserStaysFailed() {
        var parser = HTTPRequestParser()
        parser.feed(bytes("BAD\r\n\r\n"))
        #expect(throws: HTTPParseError.self) { try parser.next() }
        parser.feed(bytes("GET / HTTP/1.1\r\nHost: h\r\n\r\n"))
        #expect(throws: HTTPParseError.self) { try parser.next() }
    }

    @Test func remainingBytesAfterAnUpgradeAreHandedOver() throws {
        var parser = HTTPRequestParser()
        parser.feed(bytes("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n") + [0x81, 0x05])
        guard case .request? = try parser.next() else { Issue.record("no request"); return }
        #expect(parser.takeRemainingBytes() == [0x81, 0x05])
        #expect(parser.isIdle)
    }

    @Test func idleAndPartialStatesAreVisible() throws {
        var parser = HTTPRequestParser()
        #expect(parser.isIdle)
        parser.feed(bytes("GE"))
        _ = try parser.next()
        #expect(parser.isReceivingHead)
        parser.feed(bytes("T / HTTP/1.1\r\nHost: h\r\n\r\n"))
        _ = try parser.next()
        #expect(parser.isIdle)
    }
}

@Suite struct HTTPResponseSerializerTests {
    @Test func writesHeadWithFramingDateAndClose() {
        var out: [UInt8] = []
        HTTPResponseSerializer.writeHead(status: 404, headers: ["Content-Type": "text/plain"], framing: .contentLength(9),
                                         keepAlive: false, date: "Sun, 06 Nov 1994 08:49:37 GMT", into: &out)
        #expect(String(decoding: out, as: UTF8.self) ==
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 9\r\nConnection: close\r\n\r\n")
    }

    @Test func chunkedBodies() {
        var out: [UInt8] = []
        HTTPResponseSerializer.writeChunk(Array("hello world, hello!".utf8), into: &out)
        HTTPResponseSerializer.writeChunk([], into: &out)
        HTTPResponseSerializer.writeLastChunk(into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "13\r\nhello world, hello!\r\n0\r\n\r\n")
    }

    @Test func headerValuesCannotInjectLines() {
        var out: [UInt8] = []
        HTTPResponseSerializer.writeHead(status: 200, headers: ["X": "a\r\nSet-Cookie: evil"], framing: .none,
                                         keepAlive: true, date: "d", into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "HTTP/1.1 200 OK\r\nX: aSet-Cookie: evil\r\nDate: d\r\n\r\n")
        out = []
        HTTPResponseSerializer.writeHead(status: 599, headers: ["X-\r\nY": "v\n", "Z": ""], framing: .contentLength(0),
                                         keepAlive: true, date: "d\r", into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "HTTP/1.1 599 \(HTTPStatus.reason(599))\r\nX-Y: v\r\nZ: \r\nDate: d\r\nContent-Length: 0\r\n\r\n")
        out = []
        HTTPResponseSerializer.writeHead(status: 1000, headers: [:], framing: .none, keepAlive: true, date: "d", into: &out)
        #expect(String(decoding: out, as: UTF8.self).hasPrefix("HTTP/1.1 1000 "))
    }

    @Test func httpDatesRoundTrip() {
        #expect(HTTPDate.format(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777)
        #expect(HTTPDate.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(1_795_000_000) == "Wed, 18 Nov 2026 11:06:40 GMT")
        #expect(HTTPDate.parse("garbage") == nil)
    }
}
