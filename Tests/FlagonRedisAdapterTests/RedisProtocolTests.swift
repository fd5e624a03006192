import FlagonJSON
import FlagonMessagePack
import FlagonRedisAdapter
import FlagonSocketIOCore
import Testing

private func hex(_ text: String) -> [UInt8] {
    stride(from: 0, to: text.count, by: 2).map { offset in
        let start = text.index(text.startIndex, offsetBy: offset)
        return UInt8(text[start..<text.index(start, offsetBy: 2)], radix: 16)!
    }
}

@Suite struct RedisProtocolTests {
    @Test func channelsAreNamedAsNodesAdapterNamesThem() {
        let channels = RedisAdapterChannels(namespace: "/chat")
        #expect(channels.broadcast == "socket.io#/chat#")
        #expect(channels.room("lobby") == "socket.io#/chat#lobby#")
        #expect(channels.broadcastPattern == "socket.io#/chat#*")
        #expect(channels.request == "socket.io-request#/chat#")
        #expect(channels.response == "socket.io-response#/chat#")
        #expect(channels.response(for: "Fz3Ch9") == "socket.io-response#/chat#Fz3Ch9#")
        #expect(channels.kind(of: "socket.io#/chat#") == .broadcast)
        #expect(channels.kind(of: "socket.io#/chat#a#b#") == .room("a#b"))
        #expect(channels.kind(of: "socket.io-request#/chat#") == .request)
        #expect(channels.kind(of: "socket.io-response#/chat#") == .response(uid: nil))
        #expect(channels.kind(of: "socket.io-response#/chat#Fz3Ch9#") == .response(uid: "Fz3Ch9"))
        #expect(channels.kind(of: "socket.io#/chat2#") == .foreign)
        #expect(channels.kind(of: "socket.io#/chat#lobby") == .foreign)
        #expect(RedisAdapterChannels(prefix: "app", namespace: "/").room("r") == "app#/#r#")
    }

    /// `[uid, packet, opts]` as the Node adapter publishes it with notepack.io.
    @Test func broadcastsReadAndWriteTheReferenceBytes() throws {
        let bytes = hex(
            "93a6467a3343683983a47479706502a46461746192a466696c65c403010203a36e7370a52f6368617483a5726f6f6d7390a665786365"
                + "707491a27232a5666c61677381a8766f6c6174696c65c3")
        let broadcast = try RedisBroadcast.decode(bytes)
        #expect(broadcast == RedisBroadcast(
            uid: "Fz3Ch9", packet: SocketIOPacket(type: .event, namespace: "/chat", data: ["file", .binary([1, 2, 3])]),
            except: ["r2"], flags: ["volatile": true]))
        #expect(broadcast.encoded() == bytes)
        let channels = RedisAdapterChannels(namespace: "/chat")
        #expect(broadcast.channel(in: channels) == "socket.io#/chat#")
        var toOneRoom = broadcast
        toOneRoom.rooms = ["lobby"]
        #expect(toOneRoom.channel(in: channels) == "socket.io#/chat#lobby#")
        toOneRoom.rooms = ["a", "b"]
        #expect(toOneRoom.channel(in: channels) == "socket.io#/chat#")
    }

    @Test func aPacketWithoutANamespaceIsInTheMainOneAndNumericRoomsAreNames() throws {
        let broadcast = try RedisBroadcast.decode(hex(
            "93a6467a3343683982a47479706502a46461746191a16e83a5726f6f6d73912aa665786365707491a178a5666c61677380"))
        #expect(broadcast.packet == SocketIOPacket(type: .event, namespace: "/", data: ["n"]))
        #expect(broadcast.rooms == ["42"] && broadcast.except == ["x"])
    }

    @Test(arguments: [
        [0xc1], [0x90], [0x93, 0xa1, 0x75, 0xc0, 0x80], [0x93, 0x01, 0x80, 0x80],
        [0x93, 0xa1, 0x75, 0x81, 0xa4, 0x74, 0x79, 0x70, 0x65, 0x09, 0x80],
        Array("{\"uid\":1}".utf8),
    ] as [[UInt8]])
    func garbageIsAnErrorNotACrash(_ bytes: [UInt8]) {
        #expect(throws: RedisMessageError.self) { try RedisBroadcast.decode(bytes) }
    }

    /// A REMOTE_JOIN as the Node adapter's `addSockets` publishes it (JSON).
    @Test func jsonRequestsReadAndWriteTheSameText() throws {
        let text = #"{"uid":"Fz3Ch9","type":2,"opts":{"rooms":["a"],"except":[]},"rooms":["b"]}"#
        let message = try RedisAdapterMessage.decode(Array(text.utf8))
        #expect(message.type == .remoteJoin && message.uid == "Fz3Ch9" && message.requestId == nil)
        #expect(message.fields["rooms"] == ["b"])
        #expect(String(decoding: message.encodedJSON(), as: UTF8.self) == text)
    }

    /// A BROADCAST with acks and a BROADCAST_ACK response, as the Node adapter encodes them (MessagePack).
    @Test func messagePackRequestsReadAndWriteTheReferenceBytes() throws {
        let request = hex(
            "85a3756964a6467a33436839a9726571756573744964a66b324a376131a47479706507a67061636b657483a47479706502a464617461"
                + "92a470696e67c40107a36e7370a52f63686174a46f70747383a5726f6f6d7391a56c6f626279a665786365707490a5666c61677381"
                + "a774696d656f7574cd1388")
        let message = try RedisAdapterMessage.decode(request)
        #expect(message.type == .broadcast && message.requestId == "k2J7a1")
        #expect(message.fields["packet"]?["data"] == ["ping", .binary([7])])
        #expect(message.fields["opts"]?["flags"]?["timeout"] == 5000)
        #expect(message.encodedMessagePack() == request)
        let ack = hex("83a47479706509a9726571756573744964a66b324a376131a67061636b657491a4706f6e67")
        let response = try RedisAdapterMessage.decode(ack)
        #expect(response.type == .broadcastAck && response.fields["packet"] == ["pong"])
        #expect(response.encodedMessagePack() == ack)
        #expect(throws: RedisMessageError.self) { try RedisAdapterMessage.decode(Array("{nope".utf8)) }
        #expect(throws: RedisMessageError.self) { try RedisAdapterMessage.decode([0x92, 0x01, 0x02]) }
    }

    /// Every JSON request and response of the Node adapter (and emitter), as `JSON.stringify`
    /// writes them: read with its type, written back to the same text.
    @Test(arguments: [
        (#"{"uid":"Fz3Ch9","requestId":"a1b2c3","type":0,"rooms":["lobby"]}"#, RedisRequestType.sockets),
        (#"{"uid":"Fz3Ch9","requestId":"a1b2c3","type":1}"#, .allRooms),
        (#"{"uid":"Fz3Ch9","type":2,"opts":{"rooms":["a"],"except":["x"]},"rooms":["b","c"]}"#, .remoteJoin),
        (#"{"uid":"Fz3Ch9","requestId":"a1b2c3","type":2,"sid":"s1","room":"b"}"#, .remoteJoin),
        (#"{"type":2,"opts":{"rooms":[],"except":[]},"rooms":["b"]}"#, .remoteJoin),
        (#"{"uid":"Fz3Ch9","type":3,"opts":{"rooms":["a"],"except":[]},"rooms":["b"]}"#, .remoteLeave),
        (#"{"uid":"Fz3Ch9","type":4,"opts":{"rooms":["a"],"except":[]},"close":true}"#, .remoteDisconnect),
        (#"{"uid":"Fz3Ch9","requestId":"a1b2c3","type":5,"opts":{"rooms":["a"],"except":[]}}"#, .remoteFetch),
        (#"{"uid":"Fz3Ch9","type":6,"data":["hello",{"n":1}]}"#, .serverSideEmit),
        (#"{"uid":"Fz3Ch9","requestId":"a1b2c3","type":6,"data":["hello",1]}"#, .serverSideEmit),
        (#"{"uid":"emitter","type":6,"data":["hello"]}"#, .serverSideEmit),
        (#"{"type":6,"requestId":"a1b2c3","data":"answer"}"#, .serverSideEmit),
        (#"{"type":8,"requestId":"a1b2c3","clientCount":3}"#, .broadcastClientCount),
    ] as [(String, RedisRequestType)])
    func everyJSONRequestReadsAndWritesTheSameText(_ text: String, _ type: RedisRequestType) throws {
        let message = try RedisAdapterMessage.decode(Array(text.utf8))
        #expect(message.type == type)
        #expect(String(decoding: message.encodedJSON(), as: UTF8.self) == text)
    }

    /// Responses without a type: found by their request id.
    @Test(arguments: [
        #"{"requestId":"a1b2c3","sockets":["s1","s2"]}"#,
        #"{"requestId":"a1b2c3","rooms":["lobby","s1"]}"#,
        #"{"requestId":"a1b2c3"}"#,
        #"{"requestId":"a1b2c3","sockets":[{"id":"s1","handshake":{"headers":{"host":"x"},"time":"t","address":"::1","xdomain":false,"secure":false,"issued":1,"url":"/socket.io/?EIO=4","query":{"EIO":"4"},"auth":{}},"rooms":["s1","a"],"data":{"user":"bob"}}]}"#,
    ])
    func everyJSONResponseReadsAndWritesTheSameText(_ text: String) throws {
        let message = try RedisAdapterMessage.decode(Array(text.utf8))
        #expect(message.type == nil && message.requestId == "a1b2c3")
        #expect(String(decoding: message.encodedJSON(), as: UTF8.self) == text)
    }

    /// What `@socket.io/redis-emitter` publishes: `["emitter", packet, {rooms, flags, except}]`
    /// (its own key order), read as a broadcast.
    @Test func theEmittersBroadcastReadsAsABroadcast() throws {
        // ["emitter", {type: 2, data: ["news", "hi"], nsp: "/chat"}, {rooms: ["lobby"], flags: {}, except: ["muted"]}]
        let bytes = hex(
            "93a7656d697474657283a47479706502a46461746192a46e657773a26869a36e7370a52f6368617483a5726f6f6d7391a56c6f626279"
                + "a5666c61677380a665786365707491a56d75746564")
        let broadcast = try RedisBroadcast.decode(bytes)
        #expect(broadcast == RedisBroadcast(uid: "emitter", packet: SocketIOPacket(type: .event, namespace: "/chat", data: ["news", "hi"]),
                                            rooms: ["lobby"], except: ["muted"]))
    }
}
