import FlagonJSON
import FlagonMessagePack
import FlagonSocketIOCore
import Testing

private func hex(_ text: String) -> [UInt8] {
    stride(from: 0, to: text.count, by: 2).map { offset in
        let start = text.index(text.startIndex, offsetBy: offset)
        return UInt8(text[start..<text.index(start, offsetBy: 2)], radix: 16)!
    }
}

@Suite struct SocketIOMessagePackTests {
    /// Packets as `socket.io-msgpack-parser` writes them (notepack.io), byte for byte both ways.
    @Test(arguments: [
        ("83a47479706502a46461746192a463686174a26869a36e7370a52f63686174",
         SocketIOPacket(type: .event, namespace: "/chat", data: ["chat", "hi"])),
        ("84a47479706503a46461746191c4020102a36e7370a12fa2696407",
         SocketIOPacket(type: .ack, namespace: "/", id: 7, data: [.binary([1, 2])])),
        ("83a47479706500a46461746181a3736964a3616263a36e7370a12f",
         SocketIOPacket(type: .connect, namespace: "/", data: ["sid": "abc"])),
        ("82a47479706501a36e7370a62f61646d696e", SocketIOPacket(type: .disconnect, namespace: "/admin")),
        ("83a47479706502a46461746196a16ecb3ff800000000000002fdc081a16b91c3a36e7370a12f",
         SocketIOPacket(type: .event, namespace: "/", data: ["n", 1.5, 2, -3, nil, ["k": [true]]])),
    ])
    func packetsReadAndWriteTheReferenceBytes(_ fixture: (String, SocketIOPacket)) throws {
        let bytes = hex(fixture.0)
        #expect(try SocketIOPacket(messagePack: MessagePackReader.decode(bytes)) == fixture.1)
        #expect(MessagePackWriter.encode(fixture.1.messagePackValue) == bytes)
    }

    @Test func binaryTypesAreWrittenAsEventsAndAcks() {
        let packet = SocketIOPacket(type: .binaryEvent, namespace: "/", data: ["file", .binary([9])])
        #expect(packet.messagePackValue["type"] == 2)
        #expect(SocketIOPacket(type: .binaryAck, namespace: "/", id: 1, data: []).messagePackValue["type"] == 3)
    }

    @Test func numbersFollowJavaScript() throws {
        #expect(MessagePackValue(json: .double(2.0)) == .int(2))   // JavaScript has one number type
        #expect(MessagePackValue(json: .double(-0.5)) == .double(-0.5))
        #expect(MessagePackValue(json: .largeNumber("18446744073709551615")) == .uint(UInt64.max))
        #expect(try JSONValue(messagePack: .uint(UInt64.max)) == .largeNumber("18446744073709551615"))
        #expect(try JSONValue(messagePack: .float(0.5)) == .double(0.5))
    }

    @Test(arguments: [
        ("a packet is a map", MessagePackValue.array([])),
        ("unknown type", ["type": 9, "nsp": "/"]),
        ("binary types are not written by the msgpack parser", ["type": 5, "nsp": "/", "data": ["e"]]),
        ("namespace missing", ["type": 2, "data": ["e"]]),
        ("namespace not a path", ["type": 2, "nsp": "chat", "data": ["e"]]),
        ("id negative", ["type": 2, "nsp": "/", "data": ["e"], "id": -1]),
        ("id not a number", ["type": 2, "nsp": "/", "data": ["e"], "id": "1"]),
        ("event without a name", ["type": 2, "nsp": "/", "data": [1]]),
        ("event without data", ["type": 2, "nsp": "/"]),
        ("disconnect with data", ["type": 1, "nsp": "/", "data": [:]]),
        ("connect error without an object", ["type": 4, "nsp": "/", "data": "no"]),
        ("ack without an array", ["type": 3, "nsp": "/", "id": 1, "data": "x"]),
        ("a map key that is not a string", ["type": 2, "nsp": "/", "data": ["e", .map(MessagePackMap([.init(key: 1, value: 2)]))]]),
        ("a date", ["type": 2, "nsp": "/", "data": ["e", .extension(type: -1, data: [0, 0, 0, 1])]]),
    ] as [(String, MessagePackValue)])
    func invalidPacketsAreRefused(_ fixture: (String, MessagePackValue)) {
        #expect(throws: SocketIOProtocolError.self, "\(fixture.0)") { try SocketIOPacket(messagePack: fixture.1) }
    }
}
