import FlagonMessagePack
import Testing

private func hex(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        bytes.append(UInt8(text[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

@Suite struct MessagePackTests {
    /// The byte strings of @socket.io/redis-adapter messages as notepack.io writes them
    /// (the same bytes the reference msgpack implementation writes for these values).
    @Test(arguments: [
        (
            "93a6467a3343683983a47479706502a46461746192a463686174a568656c6c6fa36e7370a12f83a5726f6f6d7391a5726f6f6d31"
                + "a665786365707490a5666c61677380",
            MessagePackValue.array([
                "Fz3Ch9", ["type": 2, "data": ["chat", "hello"], "nsp": "/"], ["rooms": ["room1"], "except": [], "flags": [:]],
            ])
        ),
        (
            "93a6467a3343683983a47479706502a46461746192a466696c65c403010203a36e7370a52f6368617483a5726f6f6d7390a665786365"
                + "707491a27232a5666c61677381a8766f6c6174696c65c3",
            .array([
                "Fz3Ch9", ["type": 2, "data": ["file", .binary([1, 2, 3])], "nsp": "/chat"],
                ["rooms": [], "except": ["r2"], "flags": ["volatile": true]],
            ])
        ),
        (
            "84a3756964a6467a33436839a9726571756573744964a3616263a47479706502a5726f6f6d7391a172",
            ["uid": "Fz3Ch9", "requestId": "abc", "type": 2, "rooms": ["r"]]
        ),
        (
            "dc0016007fcc80ccffcd0100cdffffce00010000ceffffffffcf0000000100000000ffe0d0dfd080d1ff7fd18000d2ffff7fffd28000"
                + "0000d3ffffffff7fffffffcb3ff8000000000000c0c3c2",
            [0, 127, 128, 255, 256, 65535, 65536, 4_294_967_295, 4_294_967_296, -1, -32, -33, -128, -129, -32768, -32769,
             -2_147_483_648, -2_147_483_649, 1.5, nil, true, false]
        ),
        ("bf" + String(repeating: "78", count: 31), .string(String(repeating: "x", count: 31))),
    ] as [(String, MessagePackValue)])
    func fixturesDecodeAndReencodeByteForByte(_ fixture: (String, MessagePackValue)) throws {
        let bytes = hex(fixture.0)
        #expect(try MessagePackReader.decode(bytes) == fixture.1)
        #expect(MessagePackWriter.encode(fixture.1) == bytes)
    }

    @Test func lengthsPickTheSmallestFormat() throws {
        let cases: [(MessagePackValue, [UInt8])] = [
            (.string(String(repeating: "a", count: 32)), [0xd9, 0x20]),
            (.string(String(repeating: "a", count: 256)), [0xda, 0x01, 0x00]),
            (.binary([UInt8](repeating: 0, count: 255)), [0xc4, 0xff]),
            (.binary([UInt8](repeating: 0, count: 256)), [0xc5, 0x01, 0x00]),
            (.array(Array(repeating: .nil, count: 15)), [0x9f]),
            (.array(Array(repeating: .nil, count: 16)), [0xdc, 0x00, 0x10]),
            (.map(MessagePackMap((0..<16).map { .init(key: .int(Int64($0)), value: .nil) })), [0xde, 0x00, 0x10]),
            (.extension(type: -1, data: [0x39, 0x45, 0x79, 0x80]), [0xd6, 0xff]),   // a timestamp (notepack's Date)
            (.extension(type: 5, data: [1, 2, 3]), [0xc7, 0x03, 0x05]),
            (.float(1.5), [0xca, 0x3f, 0xc0]),
            (.uint(UInt64.max), [0xcf, 0xff, 0xff]),
            (.string("é"), [0xa2, 0xc3, 0xa9]),
        ]
        for (value, prefix) in cases {
            let bytes = MessagePackWriter.encode(value)
            #expect(Array(bytes.prefix(prefix.count)) == prefix, "\(value)")
            #expect(try MessagePackReader.decode(bytes) == value)
        }
    }

    @Test func badInputIsAnErrorWithItsPlace() throws {
        #expect(throws: MessagePackError.invalidByte(0xc1, offset: 1)) { try MessagePackReader.decode([0x91, 0xc1]) }
        #expect(throws: MessagePackError.truncated(offset: 1)) { try MessagePackReader.decode([0xcd, 0x01]) }
        #expect(throws: MessagePackError.truncated(offset: 0)) { try MessagePackReader.decode([]) }
        #expect(throws: MessagePackError.invalidUTF8(offset: 1)) { try MessagePackReader.decode([0xa2, 0xc3, 0x28]) }
        #expect(throws: MessagePackError.trailingBytes(offset: 1)) { try MessagePackReader.decode([0xc0, 0xc0]) }
        // A count of 2^32 - 1 elements in five bytes: refused before anything is allocated.
        #expect(throws: MessagePackError.tooLarge(offset: 5)) { try MessagePackReader.decode([0xdd, 0xff, 0xff, 0xff, 0xff]) }
        #expect(throws: MessagePackError.tooLarge(offset: 5)) { try MessagePackReader.decode([0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0]) }
        #expect(throws: MessagePackError.tooLarge(offset: 5)) { try MessagePackReader.decode([0xc6, 0xff, 0xff, 0xff, 0xff]) }
        #expect(throws: MessagePackError.truncated(offset: 5)) { try MessagePackReader.decode([0xc6, 0x00, 0x00, 0x00, 0x05, 0x01]) }
        let deep = [UInt8](repeating: 0x91, count: 101) + [0xc0]
        #expect(throws: MessagePackError.tooDeep(limit: 100)) { try MessagePackReader.decode(deep) }
        #expect(try MessagePackReader.decode(Array(deep.dropFirst()), maxDepth: 100) != .nil)
    }

    @Test func mapsKeepTheirOrderAndReadByKey() throws {
        var map: MessagePackMap = ["b": 1, "a": 2]
        map["c"] = "three"
        map["b"] = nil
        #expect(map.entries.map(\.key) == ["a", "c"])
        let value = try MessagePackReader.decode(MessagePackWriter.encode(.map(map)))
        #expect(value["c"]?.stringValue == "three" && value["a"]?.intValue == 2 && value["b"] == nil)
    }
}
