import Flagon
import FlagonJSON
import FlagonLoop
import FlagonMacros
import FlagonTesting
import Testing
@testable import FlagonSocketIO

/// A `Decodable` type that also decodes itself: its `decode(from:)` is what runs, on every path.
struct Shouted: Decodable, CustomEventArgument {
    let text: String
    nonisolated(unsafe) static var decodeCalls = 0

    init(text: String) { self.text = text }

    static func decode(from value: JSONValue) throws(EventArgumentError) -> Shouted {
        decodeCalls += 1
        if case .binary(let bytes) = value { return Shouted(text: String(decoding: bytes, as: UTF8.self).uppercased()) }
        guard let text = value.stringValue else { throw EventArgumentError("expected something to shout") }
        return Shouted(text: text.uppercased())
    }
}

/// A type that is not `Decodable`: one method, every path.
struct Token: CustomEventArgument {
    let value: String

    static func decode(from value: JSONValue) throws(EventArgumentError) -> Token {
        guard let text = value.stringValue, text.hasPrefix("tok_") else { throw EventArgumentError("expected a token") }
        return Token(value: text)
    }
}

@SocketNamespace
final class ShoutController: NamespaceController {
    func on_shout(_ words: Shouted, _ token: Token?) -> String { words.text + "/" + (token?.value ?? "-") }
}

/// An argument type implements one thing, and that one thing runs for text events, binary
/// events and the in-process test client alike, in closures and in controllers.
@Suite(.serialized) struct OneArgumentProtocolTests {
    @Test @LoopActor func aCustomDecodeRunsOnEveryPath() async throws {
        let (server, port, sio) = try startQuietServer { sio in
            sio.of("/closure").on("shout") { (_: Socket, words: Shouted, token: Token?) -> String in
                words.text + "/" + (token?.value ?? "-")
            }
            sio.register(ShoutController.self, namespace: "/controller")
        }
        for namespace in ["/closure", "/controller"] {
            Shouted.decodeCalls = 0
            let ws = try await connectedClient(port, namespace: namespace)
            ws.send(text: #"42\#(namespace),1["shout","hi","tok_1"]"#)
            #expect(await ws.waitForText { $0.hasPrefix("43\(namespace),1") } == #"43\#(namespace),1["HI/tok_1"]"#)
            ws.send(text: #"451-\#(namespace),2["shout",{"_placeholder":true,"num":0}]"#)
            ws.send(binary: Array("bin".utf8))
            #expect(await ws.waitForText { $0.hasPrefix("43\(namespace),2") } == #"43\#(namespace),2["BIN/-"]"#)
            ws.send(text: #"42\#(namespace),3["shout","x","nope"]"#)
            #expect(await ws.waitForText { $0.hasPrefix("43\(namespace),3") }?.contains("argument 2: expected a token") == true)
            ws.close()

            let client = try await SocketIOTestClient.connect(to: sio, path: "", namespace: namespace)
            #expect(try await client.emitWithAck("shout", ["quiet", "tok_2"], namespace: namespace) == ["QUIET/tok_2"])
            await client.close()
            #expect(Shouted.decodeCalls == 4, "\(namespace): \(Shouted.decodeCalls)")
        }
        await server.shutdown()
    }
}
