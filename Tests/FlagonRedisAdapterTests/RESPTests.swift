@testable import FlagonRedisAdapter
import Testing

@Suite struct RESPTests {
    @Test func commandsAreArraysOfBulkStrings() {
        #expect(RESPWriter.command("PUBLISH", "ch", "hi") == Array("*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$2\r\nhi\r\n".utf8))
        #expect(RESPWriter.command([[0, 13, 10]]) == Array("*1\r\n$3\r\n".utf8) + [0, 13, 10] + [13, 10])
    }

    @Test func repliesOfEveryTypeReadWhateverTheSplit() throws {
        let wire = Array(("+OK\r\n-ERR wrong\r\n:-42\r\n$5\r\nh\r\nlo\r\n$-1\r\n*-1\r\n"
            + "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\nabc\r\n*2\r\n*1\r\n:1\r\n*0\r\n").utf8)
        let expected: [RESPValue] = [
            .simpleString("OK"), .error("ERR wrong"), .integer(-42), .bulkString(Array("h\r\nlo".utf8)), .bulkString(nil),
            .array(nil), .array([.bulkString(Array("message".utf8)), .bulkString(Array("ch".utf8)), .bulkString(Array("abc".utf8))]),
            .array([.array([.integer(1)]), .array([])]),
        ]
        for cut in 0...wire.count {
            var parser = RESPParser()
            var replies: [RESPValue] = []
            parser.append(wire[..<cut])
            while let reply = try parser.next() { replies.append(reply) }
            parser.append(wire[cut...])
            while let reply = try parser.next() { replies.append(reply) }
            #expect(replies == expected, "cut at \(cut)")
            #expect(parser.bufferedCount == 0)
        }
    }

    @Test(arguments: [
        ("?x\r\n", RESPParser.Failure.unknownType(UInt8(ascii: "?"))),
        ("+OK\n", .invalidLine),
        ("+O\rK\r\n", .invalidLine),
        (":12a\r\n", .invalidLength),
        ("$-2\r\n", .invalidLength),
        ("$\r\n", .invalidLength),
        ("$3\r\nabcX\r\n", .invalidLine),
        (":99999999999999999999\r\n", .invalidLength),
        ("$999999999999\r\n", .tooLarge),
        ("*2000000\r\n", .tooLarge),
        (String(repeating: "*1\r\n", count: 17) + ":1\r\n", .tooDeep),
    ])
    func malformedRepliesAreErrors(_ fixture: (String, RESPParser.Failure)) {
        var parser = RESPParser()
        parser.append(Array(fixture.0.utf8))
        #expect(throws: fixture.1) { _ = try parser.next() }
    }

    /// A large reply (an array of 100,000 elements nested in another, about 1 MB) read as
    /// it arrives one byte at a time costs a constant per byte: the parser resumes where
    /// it stopped instead of reading the reply again from its start. Work counted, not timed.
    @Test func aReplyArrivingByteByByteIsReadOnce() throws {
        var wire = Array("*2\r\n*100000\r\n".utf8)
        for index in 0..<100_000 { wire += Array("$\(String(index).utf8.count)\r\n\(index)\r\n".utf8) }
        wire += Array(":7\r\n".utf8)
        var parser = RESPParser()
        var reply: RESPValue?
        for byte in wire {
            parser.append(CollectionOfOne(byte))
            if let complete = try parser.next() { reply = complete }
        }
        let outer = try #require(reply?.elements)
        #expect(outer.count == 2 && outer[1] == .integer(7))
        #expect(outer[0].elements?.count == 100_000 && outer[0].elements?[99_999] == .bulkString(Array("99999".utf8)))
        // Each byte that is not bulk content is scanned while its line is incomplete: a line
        // of n bytes (n at most 8 here) n times at most.
        #expect(parser.bytesScanned <= 8 * wire.count, "\(parser.bytesScanned) bytes scanned for \(wire.count)")
        #expect(parser.bufferedCount == 0)
    }

    @Test func aLongLineWithoutAnEndIsRefusedAtTheLimit() {
        var parser = RESPParser()
        parser.maxLineBytes = 16
        parser.append(Array(("+" + String(repeating: "a", count: 17)).utf8))
        #expect(throws: RESPParser.Failure.tooLarge) { _ = try parser.next() }
    }
}
