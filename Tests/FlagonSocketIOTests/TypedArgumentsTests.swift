import Flagon
import FlagonJSON
import FlagonLoop
import FlagonMacros
import FlagonTesting
import Testing
@testable import FlagonSocketIO

/// A typed argument that records which decoder built it.
struct TracedMove: Decodable, EventArgument, Equatable {
    let x: Int
    let y: Int
    nonisolated(unsafe) static var decoders: [String] = []

    init(x: Int, y: Int) {
        self.x = x
        self.y = y
    }

    init(from decoder: any Decoder) throws {
        Self.decoders.append(String(describing: type(of: decoder)))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        x = try container.decode(Int.self, forKey: .x)
        y = try container.decode(Int.self, forKey: .y)
    }

    private enum CodingKeys: String, CodingKey { case x, y }
}

@SocketNamespace
final class TypedMoveController: NamespaceController {
    func on_move(_ move: TracedMove, _ note: String?, _ blob: [UInt8]?) -> String {
        "\(move.x),\(move.y),\(note ?? "-"),\(blob?.count ?? -1)"
    }
}

/// Typed parameters of a text event are read from the client's JSON text (no value tree);
/// a binary event decodes from values. Both give the same results and the same errors.
@Suite(.serialized) struct TypedArgumentsTests {
    @Test @LoopActor func textAndBinaryEventsDecodeAlikeAndTextBuildsNoTree() async throws {
        let (server, port, _) = try startQuietServer { sio in
            sio.of("/closure").on("move") { (_: Socket, move: TracedMove, note: String?, blob: [UInt8]?) -> String in
                "\(move.x),\(move.y),\(note ?? "-"),\(blob?.count ?? -1)"
            }
            sio.register(TypedMoveController.self, namespace: "/controller")
        }
        for namespace in ["/closure", "/controller"] {
            TracedMove.decoders = []
            let ws = try await connectedClient(port, namespace: namespace)
            let cases: [(send: [String], ack: String)] = [
                ([#"42\#(namespace),1["move",{"y":2,"x":1}]"#], #"["1,2,-,-1"]"#),
                ([#"42\#(namespace),2["move", {"x":3,"y":4,"extra":[1,{"x":0}]} ,"hi",null]"#], #"["3,4,hi,-1"]"#),
                ([#"451-\#(namespace),3["move",{"x":5,"y":6},"bin",{"_placeholder":true,"num":0}]"#, "\u{0}\u{1}\u{2}"],
                 #"["5,6,bin,3"]"#),
                // Errors read the same on both paths: a count, a field, a type.
                ([#"42\#(namespace),4["move"]"#], #"[{"error":"invalid_arguments","event":"move","message":"Invalid arguments for \"move\": expected 1 to 3 arguments, got 0"}]"#),
                ([#"42\#(namespace),5["move",{"x":1,"y":2},"a",null,4]"#],
                 #"[{"error":"invalid_arguments","event":"move","message":"Invalid arguments for \"move\": expected 1 to 3 arguments, got 4"}]"#),
                ([#"42\#(namespace),6["move",{"x":"1","y":2}]"#],
                 #"[{"error":"invalid_arguments","event":"move","message":"Invalid arguments for \"move\": argument 1: expected TracedMove: expected an integer that fits Int, got a string at .x"}]"#),
                ([#"451-\#(namespace),7["move",{"x":"1","y":2},"a",{"_placeholder":true,"num":0}]"#, "\u{0}"],
                 #"[{"error":"invalid_arguments","event":"move","message":"Invalid arguments for \"move\": argument 1: expected TracedMove: expected an integer that fits Int, got a string at .x"}]"#),
                ([#"42\#(namespace),8["move",{"x":1,"y":2},7]"#],
                 #"[{"error":"invalid_arguments","event":"move","message":"Invalid arguments for \"move\": argument 2: expected a string, got a number"}]"#),
            ]
            for (index, item) in cases.enumerated() {
                let ackID = index + 1
                if item.send.count == 2 {
                    ws.send(text: item.send[0])
                    ws.send(binary: Array(item.send[1].utf8))
                } else {
                    ws.send(text: item.send[0])
                }
                let prefix = "43\(namespace),\(ackID)["
                let ack = await ws.waitForText { $0.hasPrefix(prefix) }
                #expect(ack.map { String($0.dropFirst(prefix.count - 1)) } == item.ack, "\(namespace) case \(ackID)")
            }
            // Text events decoded from the text (the count is checked after, when it does
            // not fit); the binary ones from values.
            #expect(TracedMove.decoders == ["TextDecoder", "TextDecoder", "ValueDecoder", "TextDecoder", "TextDecoder", "ValueDecoder", "TextDecoder"],
                    "\(namespace)")
            ws.close()
        }
        await server.shutdown()
    }
}
