import FlagonJSON
import Testing
@testable import FlagonSocketIOCore

private func b(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite struct EngineCodecTests {
    @Test func decodesPayloadsWithTextAndBinaryPackets() throws {
        let packets = try EnginePacket.decodePayload(b("4hello\u{1e}bAQIDBA==\u{1e}2\u{1e}3probe\u{1e}1"))
        #expect(packets == [
            EnginePacket(.message, .text(b("hello"))), EnginePacket(.message, .binary([1, 2, 3, 4])),
            EnginePacket(.ping), EnginePacket(.pong, .text(b("probe"))), EnginePacket(.close),
        ])
    }

    @Test func encodesPayloadsExactly() {
        let payload = EnginePacket.encodePayload([EnginePacket.message("hello"), EnginePacket(.message, .binary([1, 2, 3, 4])), EnginePacket(.noop)])
        #expect(String(decoding: payload, as: UTF8.self) == "4hello\u{1e}bAQIDBA==\u{1e}6")
    }

    @Test(arguments: ["", "abc", "9", "4a\u{1e}", "bAQ!D", "\u{1e}4x"])
    func rejectsInvalidPayloads(_ text: String) {
        #expect(throws: EngineProtocolError.self) { try EnginePacket.decodePayload(b(text)) }
    }

    @Test func heartbeatPingsAndTimesOutOnAManualClock() {
        var heartbeat = EngineHeartbeat(pingInterval: 300, pingTimeout: 200, now: 1000)
        #expect(heartbeat.tick(now: 1299) == .none)
        #expect(heartbeat.tick(now: 1300) == .sendPing)
        #expect(heartbeat.nextDeadline == 1500)
        heartbeat.pongReceived(now: 1400)
        #expect(heartbeat.tick(now: 1600) == .none)
        #expect(heartbeat.tick(now: 1700) == .sendPing)
        #expect(heartbeat.tick(now: 1899) == .none)
        #expect(heartbeat.tick(now: 1900) == .readFirst)   // one read pass before deciding
        #expect(heartbeat.tick(now: 1901) == .timedOut)
        // A pong found by the read pass saves the session.
        var saved = EngineHeartbeat(pingInterval: 300, pingTimeout: 200, now: 0)
        #expect(saved.tick(now: 300) == .sendPing)
        #expect(saved.tick(now: 500) == .readFirst)
        saved.pongReceived(now: 501)
        #expect(saved.tick(now: 502) == .none && saved.nextDeadline == 801)
        #expect(saved.tick(now: 801) == .sendPing)
        #expect(saved.tick(now: 1001) == .readFirst)   // the rule applies to every ping
    }

    @Test func outboxPutsPingsFirstAndLimitsPayloads() {
        var outbox = EngineOutbox()
        for i in 0..<20 { outbox.append(.message("\(i)")) }
        outbox.append(EnginePacket(.ping))
        let first = outbox.take(max: 16)
        #expect(first.count == 16)
        #expect(first[0] == EnginePacket(.ping))
        #expect(first[1] == .message("0"))
        let second = outbox.take(max: 16)
        #expect(second.map { $0.data } == (15..<20).map { .text(Array("\($0)".utf8)) })
        #expect(outbox.isEmpty)
    }

    /// Dropping whole messages (a packet and its attachments), the oldest droppable first,
    /// never an undroppable one; each entry looked at once however many drops.
    @Test func outboxDropsWholeMessagesInLinearWork() {
        var outbox = EngineOutbox()
        outbox.append(.message("ack"))
        outbox.append(message: [.message("a"), EnginePacket(.message, .binary([1]))], droppable: true)
        outbox.append(message: [.message("b")], droppable: true)
        var dropped = outbox.dropOldestMessage()
        #expect(dropped && outbox.count == 2 && outbox.bytes == 4)
        #expect(outbox.takeAll() == [.message("ack"), .message("b")])
        dropped = outbox.dropOldestMessage()
        #expect(!dropped && outbox.isEmpty && outbox.bytes == 0)

        for _ in 0..<1000 { outbox.append(.message("ack")) }
        for _ in 0..<10_000 { outbox.append(message: [.message("x")], droppable: true) }
        var drops = 0
        for _ in 0..<50_000 {
            if outbox.dropOldestMessage() { drops += 1 }
            outbox.append(message: [.message("y")], droppable: true)
        }
        #expect(drops == 50_000 && outbox.count == 11_000)
        #expect(outbox.examined <= 2 * 61_000, "\(outbox.examined)")
        let all = outbox.take(max: 20_000)
        #expect(all.count == 11_000 && all.prefix(1000).allSatisfy { $0 == .message("ack") } && all.suffix(10_000).allSatisfy { $0 == .message("y") })
        #expect(outbox.isEmpty && outbox.bytes == 0)
    }
}

@Suite struct SocketIOCodecTests {
    private func encode(_ packet: SocketIOPacket) -> (String, [[UInt8]]) {
        let encoded = SocketIOEncoder.encode(packet)
        return (String(decoding: encoded.text, as: UTF8.self), encoded.attachments)
    }

    private func parse(_ text: String) throws -> SocketIOPacket {
        try SocketIODecoder.parse(b(text)).0
    }

    @Test func encodesEveryPacketTypeAsTheReferenceDoes() throws {
        #expect(encode(SocketIOPacket(type: .connect, data: ["sid": "abc"])).0 == #"0{"sid":"abc"}"#)
        #expect(encode(SocketIOPacket(type: .connect, namespace: "/chat", data: ["sid": "x"])).0 == #"0/chat,{"sid":"x"}"#)
        #expect(encode(SocketIOPacket(type: .disconnect, namespace: "/chat")).0 == "1/chat,")
        #expect(encode(SocketIOPacket(type: .event, data: ["message-back", 1, "2", ["3": [true]]])).0 == #"2["message-back",1,"2",{"3":[true]}]"#)
        #expect(encode(SocketIOPacket(type: .ack, id: 456, data: [1, "2", ["3": [false]]])).0 == #"3456[1,"2",{"3":[false]}]"#)
        #expect(encode(SocketIOPacket(type: .connectError, namespace: "/random", data: ["message": "Invalid namespace"])).0
            == #"4/random,{"message":"Invalid namespace"}"#)
        let binary = encode(SocketIOPacket(type: .event, data: ["message-back", .binary([1, 2]), ["nested": [.binary([3])]]]))
        #expect(binary.0 == #"52-["message-back",{"_placeholder":true,"num":0},{"nested":[{"_placeholder":true,"num":1}]}]"#)
        #expect(binary.1 == [[1, 2], [3]])
        let binaryAck = encode(SocketIOPacket(type: .ack, namespace: "/x", id: 789, data: [.binary([1]), .binary([2])]))
        #expect(binaryAck.0 == #"62-/x,789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#)
    }

    @Test func parsesPacketsWithNamespacesIdsAndData() throws {
        #expect(try parse("0") == SocketIOPacket(type: .connect))
        #expect(try parse(#"0{"token":"123"}"#) == SocketIOPacket(type: .connect, data: ["token": "123"]))
        #expect(try parse("0/custom") == SocketIOPacket(type: .connect, namespace: "/custom"))
        #expect(try parse("0/custom,") == SocketIOPacket(type: .connect, namespace: "/custom"))
        #expect(try parse("1/chat,") == SocketIOPacket(type: .disconnect, namespace: "/chat"))
        #expect(try parse(#"2/chat,12["say",{"room":"r"}]"#) == SocketIOPacket(type: .event, namespace: "/chat", id: 12, data: ["say", ["room": "r"]]))
        #expect(try parse(#"3/chat,5[]"#) == SocketIOPacket(type: .ack, namespace: "/chat", id: 5, data: []))
        #expect(try parse(#"2["ev"]"#).eventName == "ev")
    }

    @Test func reassemblesBinaryPackets() throws {
        var decoder = SocketIODecoder()
        #expect(try decoder.receive(text: b(#"52-["up",{"_placeholder":true,"num":1},[{"_placeholder":true,"num":0}]]"#)) == nil)
        #expect(decoder.isAwaitingAttachments)
        #expect(try decoder.receive(binary: [9]) == nil)
        let packet = try decoder.receive(binary: [8, 7])
        #expect(packet == SocketIOPacket(type: .binaryEvent, data: ["up", .binary([8, 7]), [.binary([9])]]))
        #expect(throws: SocketIOProtocolError.unexpectedBinary) { try decoder.receive(binary: [1]) }
    }

    @Test(arguments: [
        "", "4abc", "9", #"42{}"#, "2{}", "2[]", "2[1]", #"2abc["message-with-ack",1]"#, #"2["message""#,
        "0[]", "0\"x\"", #"4{"message":"x"}"#, "1/chat,{}", "51-", "5x-[\"a\"]", "599-[\"a\"]", "3[]",
        #"299999999999999999999["a"]"#,
    ])
    func rejectsMalformedPackets(_ text: String) {
        #expect(throws: SocketIOProtocolError.self) { try SocketIODecoder.parse(b(text)) }
    }

    @Test func limitsAttachmentsAndPlaceholders() {
        var decoder = SocketIODecoder(maxAttachments: 2)
        #expect(throws: SocketIOProtocolError.tooManyAttachments(max: 2)) { try decoder.receive(text: b(#"53-["a"]"#)) }
        var other = SocketIODecoder()
        _ = try? other.receive(text: b(#"51-["a",{"_placeholder":true,"num":4}]"#))
        #expect(throws: SocketIOProtocolError.invalidPlaceholder) { try other.receive(binary: [1]) }
    }
}
