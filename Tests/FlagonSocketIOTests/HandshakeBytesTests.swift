import Flagon
import FlagonJSON
import FlagonLoop
import FlagonTesting
import Testing
@testable import FlagonSocketIO

/// The open packet and the CONNECT reply are written as bytes, not built as JSON values:
/// they must be exactly the text a JSON value would have been.
@Suite struct HandshakeBytesTests {
    @LoopActor private func makeApp(recovery: Bool) -> (App, SocketIOServer) {
        var options = SocketIOOptions()
        options.engine.pingInterval = 60_000
        options.engine.pingTimeout = 7_000
        options.engine.maxPayload = 12_345
        if recovery { options.connectionStateRecovery = ConnectionStateRecovery() }
        let sio = SocketIOServer(options: options)
        _ = sio.of("/chat")
        let app = App()
        sio.attach(to: app)
        return (app, sio)
    }

    private func matches(_ text: String, _ pattern: String) -> Bool {
        (try? Regex(pattern).wholeMatch(in: text)) != nil
    }

    @Test @LoopActor func theOpenPacketIsTheSocketIOText() async throws {
        let (app, _) = makeApp(recovery: false)
        let client = TestClient(app)
        let open = try await client.get("/socket.io/?EIO=4&transport=polling").text
        #expect(matches(open, #"0\{"sid":"[A-Za-z0-9_-]{27,}","upgrades":\["websocket"\],"pingInterval":60000,"pingTimeout":7000,"maxPayload":12345\}"#),
                "\(open)")
        let value = try JSONValue.parse(Array(open.utf8.dropFirst()))
        let sid = try #require(value["sid"]?.stringValue)
        let expected: JSONValue = ["sid": .string(sid), "upgrades": ["websocket"], "pingInterval": 60_000, "pingTimeout": 7_000,
                                   "maxPayload": 12_345]
        #expect(Array(open.utf8.dropFirst()) == Array(expected.jsonString.utf8))
    }

    @Test @LoopActor func connectRepliesCarryTheSidAndThePid() async throws {
        for recovery in [false, true] {
            let (app, sio) = makeApp(recovery: recovery)
            let client = TestClient(app)
            let open = try await client.get("/socket.io/?EIO=4&transport=polling")
            let sid = try #require(try JSONValue.parse(Array(open.body.dropFirst()))["sid"]?.stringValue)
            _ = try await client.post("/socket.io/?EIO=4&transport=polling&sid=\(sid)", body: Array("40".utf8))
            _ = try await client.post("/socket.io/?EIO=4&transport=polling&sid=\(sid)", body: Array("40/chat,".utf8))
            let replies = try await client.get("/socket.io/?EIO=4&transport=polling&sid=\(sid)").text.split(separator: "\u{1e}")
            try #require(replies.count == 2)
            let main = try #require(sio.main.sockets.values.first)
            let chat = try #require(sio.of("/chat").sockets.values.first)
            if recovery {
                let mainPid = try #require(main.pid), chatPid = try #require(chat.pid)
                #expect(replies[0] == #"40{"sid":"\#(main.id)","pid":"\#(mainPid)"}"#)
                #expect(replies[1] == #"40/chat,{"sid":"\#(chat.id)","pid":"\#(chatPid)"}"#)
            } else {
                #expect(replies[0] == #"40{"sid":"\#(main.id)"}"#)
                #expect(replies[1] == #"40/chat,{"sid":"\#(chat.id)"}"#)
            }
        }
    }

    @Test func theOpenPacketIsMeasuredAndWrittenForAnyID() throws {
        for (id, upgrades, interval) in [("abc", false, 25_000), ("q\"u\\o\u{1}te", true, 0), ("", true, -5), ("café", false, Int.max)] {
            let bytes = EngineSession.openPacket(id: id, upgrades: upgrades, pingInterval: interval, pingTimeout: 20_000, maxPayload: 1)
            let expected: JSONValue = ["sid": .string(id), "upgrades": upgrades ? ["websocket"] : [], "pingInterval": .int(interval),
                                       "pingTimeout": 20_000, "maxPayload": 1]
            #expect(bytes == [UInt8(ascii: "0")] + Array(expected.jsonString.utf8), "\(id)")
        }
    }
}
