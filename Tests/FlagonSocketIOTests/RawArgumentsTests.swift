import Flagon
import FlagonJSON
import FlagonLoop
import FlagonMacros
import FlagonTesting
import Testing
@testable import FlagonSocketIO

/// A controller whose echo passes its arguments on unparsed, and one that reads them.
@SocketNamespace(initialACL: ["echo"])
final class RawEchoController: NamespaceController {
    func on_echo(_ args: RawArguments) -> RawArguments { args }
    func on_secret(_ args: RawArguments) -> RawArguments { args }
}

/// Handlers that take ``RawArguments`` get the client's JSON text unparsed: checked as
/// strictly as a parse, acked byte for byte, parsed only when read.
@Suite struct RawArgumentsTests {
    @Test func theHeadOfATextEventIsReadWithoutParsing() throws {
        func scan(_ text: String) -> SocketIOEventHead? {
            Array(text.utf8).withUnsafeBufferPointer { SocketIOEventHead.scan($0) }
        }
        let say = try #require(scan(#"2/chat,17["say",{"a":1}]"#))
        #expect((say.namespace, say.ackID, say.event, say.jsonStart, say.argumentsStart) == ("/chat", 17, "say", 9, 16))
        let ping = try #require(scan(#"2[ "ping" ]"#))
        #expect((ping.namespace, ping.ackID, ping.event, ping.jsonStart, ping.argumentsStart) == ("/", nil, "ping", 1, nil))
        #expect(scan(#"2["caf\u00e9",1]"#) == nil)   // an escaped name: the decoder's job
        for other in [#"3[1]"#, #"51-["e",{"_placeholder":true,"num":0}]"#, "2", #"2{"a":1}"#, #"2[1,2]"#, #"2["e" 1]"#] {
            #expect(scan(other) == nil, "\(other)")
        }
    }

    @Test func theSpanOfAHeadPointsAtTheBytesTheHeadReads() throws {
        func span(_ bytes: [UInt8]) -> SocketIOEventSpan? { bytes.withUnsafeBufferPointer { SocketIOEventSpan.scan($0) } }
        let say = try #require(span(Array(#"2/chat,17["say",{"a":1}]"#.utf8)))
        #expect(say.namespace == 1..<6 && say.ackID == 17 && say.event == 11..<14 && say.jsonStart == 9 && say.argumentsStart == 16)
        let ping = try #require(span(Array(#"2[ "ping" ]"#.utf8)))
        #expect(ping.namespace == nil && ping.event == 4..<8 && ping.argumentsStart == nil)
        // UTF-8 names and namespaces pass; invalid UTF-8 in either goes to the decoder, which refuses it.
        let cafe = try #require(span(Array(#"2/ns-é,["café",1]"#.utf8)))
        #expect(cafe.namespace == 1..<7 && cafe.event == 10..<15)
        #expect(span(Array("2[\"caf".utf8) + [0xC3] + Array("\",1]".utf8)) == nil)
        #expect(span(Array("2/n".utf8) + [0xFF] + Array(",[\"e\"]".utf8)) == nil)
        // An ack id past the limit, or longer than 16 digits: not an event head.
        #expect(span(Array(#"212345678901234567["e"]"#.utf8)) == nil)
    }

    @Test @LoopActor func anEchoAcksTheArgumentsAsTheyWereWritten() async throws {
        var seen: [[JSONValue]] = []
        let (server, port, sio) = try startQuietServer { sio in
            sio.on("echo") { (_: Socket, args: RawArguments) -> RawArguments in args }
            sio.on("count") { (_: Socket, args: RawArguments) -> Int in args.values.count }
            sio.main.onAnyIncoming { _, _, args in seen.append(args) }
        }
        let ws = try await connectedClient(port)
        // Spacing, key order, 1.50 and the escape would all change through a parse and a write.
        ws.send(text: #"421["echo", {"b":1,"a":2} , 1.50,"\u00e9",[ ]]"#)
        #expect(await ws.waitForText { $0.hasPrefix("431") } == #"431[ {"b":1,"a":2} , 1.50,"\u00e9",[ ]]"#)
        ws.send(text: #"422["echo"]"#)
        #expect(await ws.waitForText { $0.hasPrefix("432") } == "432[]")
        ws.send(text: #"423["count",1,{"x":[2,3]},null]"#)
        #expect(await ws.waitForText { $0.hasPrefix("433") } == "433[3]")
        #expect(seen.count == 3 && seen[0] == [["b": 1, "a": 2], 1.5, "é", []])   // hooks get the values
        #expect(sio.main.statistics.eventsReceived == 3)
        ws.close()
        await server.shutdown()
    }

    @Test @LoopActor func invalidJSONInAnUnparsedEventClosesOnlyThatConnection() async throws {
        let (server, port, _) = try startQuietServer { sio in sio.on("echo") { (_: Socket, args: RawArguments) -> RawArguments in args } }
        let bystander = try await connectedClient(port)
        let bad = [#"42["echo",{"a":1,}]"#, #"42["echo",01]"#, "42[\"echo\",\"\u{01}\"]", #"42["echo",1] x"#, #"42["echo",[[[["#]
        var clients: [WebSocketTestClient] = []
        for text in bad {
            let ws = try await connectedClient(port)
            ws.send(text: text)
            clients.append(ws)
        }
        for (ws, text) in zip(clients, bad) {
            #expect(await ws.waitForClose(), "\(text)")
            #expect(ws.closeCode == 1002, "\(text)")
        }
        bystander.send(text: #"425["echo","still here"]"#)
        #expect(await bystander.waitForText { $0.hasPrefix("435") } == #"435["still here"]"#)
        bystander.close()
        await server.shutdown()
    }

    @Test @LoopActor func controllersKeepTheirAccessListAndRepliesOverPolling() async throws {
        let (server, port, sio) = try startQuietServer { sio in sio.register(RawEchoController.self, namespace: "/raw") }
        let ws = try await connectedClient(port, namespace: "/raw")
        ws.send(text: #"42/raw,1["echo",{"k":"v"}]"#)
        #expect(await ws.waitForText { $0.hasPrefix("43/raw,1") } == #"43/raw,1[{"k":"v"}]"#)
        ws.send(text: #"42/raw,2["secret",1]"#)
        let denied = try #require(await ws.waitForText { $0.hasPrefix("43/raw,2") })
        #expect(denied.contains("method_access_denied"))
        ws.close()
        // Long-polling: the same path from a POST body.
        let client = try await SocketIOTestClient.connect(to: sio, path: "", namespace: "/raw")
        #expect(try await client.emitWithAck("echo", [1, "two"], namespace: "/raw") == [1, "two"])
        await client.close()
        await server.shutdown()
    }

    @Test @LoopActor func argumentsAHandlerKeepsAreNotChangedByLaterEvents() async throws {
        var kept: [RawArguments] = []
        let (server, port, _) = try startQuietServer { sio in
            sio.on("keep") { (_: Socket, args: RawArguments) -> Int in
                kept.append(args)
                return kept.count
            }
        }
        let ws = try await connectedClient(port)
        let texts = [#""aaaa""#, #""bbbb""#, #""cccc""#, #"[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32]"#]
        for (index, text) in texts.enumerated() {
            ws.send(text: "42\(index)[\"keep\",\(text)]")
            #expect(await ws.waitForText { $0.hasPrefix("43\(index)") } == "43\(index)[\(index + 1)]")
        }
        #expect(kept.map { String(decoding: $0.encodedText ?? [], as: UTF8.self) } == texts)
        #expect(kept[0].values == ["aaaa"] && kept[2].values == ["cccc"])
        ws.close()
        await server.shutdown()
    }
}
