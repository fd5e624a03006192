import Foundation
import Flagon
import FlagonJSON
import FlagonLoop
import FlagonMacros
import FlagonTesting
import Testing
@testable import FlagonSocketIO

@EventPayload
struct PayloadPoint {
    let x: Int
    let y: Int
}

/// Every kind of member `@EventPayload` handles.
@EventPayload
struct PayloadSample: Equatable {
    let name: String
    let count: Int
    var ratio: Double
    let flag: Bool
    let note: String?
    let maybe: Optional<Int>
    let tags: [String]
    let scores: [String: Int]
    let point: PayloadPoint?
    let `default`: Int
    let fixed = 7
    var observed: Int = 0 { didSet {} }
    var computed: Int { count * 2 }
    static let shared = 1
}

extension PayloadPoint: Equatable {}

/// Members named as the generated code's own locals and parameters.
@EventPayload
struct PayloadAwkward: Equatable {
    let open: Int
    let out: String
    let container: Bool?
    let value: Int?
    let previous: Int
}

/// Reads `text` (one JSON value) as `T` through the text reader.
private func readText<T: EventArgument>(_ type: T.Type, _ text: String) throws(EventArgumentError) -> T {
    let bytes = Array(text.utf8)
    return try bytes.withUnsafeBufferPointer { buffer throws(EventArgumentError) in
        var reader = JSONReader(validated: buffer)
        return try T._readArgument(from: &reader)
    }
}

private func writeText(_ value: some JSONTextWritable) -> String? {
    var out: [UInt8] = []
    return value._writeJSONText(into: &out) ? String(decoding: out, as: UTF8.self) : nil
}

private func message(_ body: () throws -> Void) -> String? {
    do { try body() } catch { return (error as? EventArgumentError)?.message ?? "\(error)" }
    return nil
}

/// `@EventPayload` structs: read from text and from values by the same generated rules, written
/// as text, and consistent with the `Codable` conformance it generates.
@Suite struct EventPayloadTests {
    static let full = #"{"name":"ann","count":3,"ratio":0.5,"flag":true,"note":"hi","maybe":4,"tags":["a","b"],"scores":{"m":1,"z":2},"point":{"x":1,"y":2},"default":9,"observed":5}"#

    @Test func readsTheSameFromTextAndFromAValue() throws {
        let fromText = try readText(PayloadSample.self, Self.full)
        let fromValue = try PayloadSample._decodeArgument(from: JSONValue.parse(Array(Self.full.utf8)))
        #expect(fromText == fromValue)
        #expect(fromText.name == "ann" && fromText.count == 3 && fromText.ratio == 0.5 && fromText.flag)
        #expect(fromText.note == "hi" && fromText.maybe == 4 && fromText.tags == ["a", "b"])
        #expect(fromText.scores == ["m": 1, "z": 2] && fromText.point == PayloadPoint(x: 1, y: 2))
        #expect(fromText.default == 9 && fromText.observed == 5 && fromText.fixed == 7 && fromText.computed == 6)
    }

    @Test func writesWhatItReadsAndWhatItsEncodableConformanceEncodes() throws {
        let sample = try readText(PayloadSample.self, Self.full)
        let text = try #require(writeText(sample))
        #expect(text == Self.full)
        // A dictionary's order is its own under Encodable: one key, for the byte comparison.
        let oneScore = Self.full.replacingOccurrences(of: #"{"m":1,"z":2}"#, with: #"{"m":1}"#)
        let encoded = try JSONValueEncoder().encode(readText(PayloadSample.self, oneScore)).serialized()
        #expect(String(decoding: encoded, as: UTF8.self) == oneScore)
        #expect(try JSONValueDecoder().decode(PayloadSample.self, from: JSONValue.parse(Array(text.utf8))) == sample)
    }

    @Test func optionalMembersMayBeMissingOrNullAndAreLeftOutWhenNil() throws {
        let text = #"{"name":"b","count":1,"ratio":1,"flag":false,"note":null,"tags":[],"scores":{},"default":0,"observed":0}"#
        let sample = try readText(PayloadSample.self, text)
        #expect(sample.note == nil && sample.maybe == nil && sample.point == nil)
        #expect(writeText(sample) == #"{"name":"b","count":1,"ratio":1,"flag":false,"tags":[],"scores":{},"default":0,"observed":0}"#)
        #expect(writeText(PayloadPoint(x: -1, y: 0)) == #"{"x":-1,"y":0}"#)
    }

    @Test func unknownKeysAreSkippedTheLastOfARepeatedKeyCountsAndEscapedKeysMatch() throws {
        let point = try readText(PayloadPoint.self, #"{"z":{"deep":[1,2,{"x":100}]},"x":1,"\u0079":5,"y":2,"x":3}"#)
        #expect(point == PayloadPoint(x: 3, y: 2))
        let value = try PayloadPoint._decodeArgument(from: JSONValue.parse(Array(#"{"x":1,"y":2,"x":3,"w":0}"#.utf8)))
        #expect(value == PayloadPoint(x: 3, y: 2))
    }

    @Test func membersNamedLikeTheGeneratedCodesLocalsAreReadAndWritten() throws {
        let text = #"{"open":1,"out":"o","container":true,"value":2,"previous":3}"#
        let awkward = try readText(PayloadAwkward.self, text)
        #expect(awkward == PayloadAwkward(open: 1, out: "o", container: true, value: 2, previous: 3))
        #expect(writeText(awkward) == text)
        #expect(try PayloadAwkward._decodeArgument(from: JSONValue.parse(Array(text.utf8))) == awkward)
        let encoded = try JSONValueEncoder().encode(awkward).serialized()
        #expect(String(decoding: encoded, as: UTF8.self) == text)
    }

    @Test func errorsNameTheTypeTheMemberAndWhatWasFound() {
        #expect(message { _ = try readText(PayloadPoint.self, #"{"x":1}"#) } == #"expected PayloadPoint: missing key "y""#)
        #expect(message { _ = try readText(PayloadPoint.self, #"{"x":"1","y":2}"#) } == "expected PayloadPoint: expected an integer, got a string at .x")
        #expect(message { _ = try readText(PayloadPoint.self, #"[1,2]"#) } == "expected PayloadPoint: expected an object, got an array")
        #expect(message { _ = try readText(PayloadPoint.self, #"5"#) } == "expected PayloadPoint: expected an object, got a number")
        #expect(message { _ = try PayloadPoint._decodeArgument(from: .object(JSONObject([(key: "y", value: .int(1))]))) }
            == #"expected PayloadPoint: missing key "x""#)
        #expect(message { _ = try PayloadPoint._decodeArgument(from: .string("p")) } == "expected PayloadPoint: expected an object, got a string")
    }

    @Test func valuesWithNoTextFormFallBackToTheValuePath() {
        #expect(writeText(Double.nan) == nil)
        #expect(writeText([UInt8]([1, 2])) == nil)
        #expect(PayloadPoint(x: 1, y: 2)._ackText().map { String(decoding: $0, as: UTF8.self) } == #"{"x":1,"y":2}"#)
        #expect(3._ackText().map { String(decoding: $0, as: UTF8.self) } == "3")
    }

    /// The same struct through a text event, an event with a binary attachment (values) and
    /// the in-process test client: the same reading, the same ack.
    @Test @LoopActor func everyPathReadsAndAcksTheSame() async throws {
        let (server, port, sio) = try startQuietServer { sio in
            sio.on("point") { (_: Socket, point: PayloadPoint, _: [UInt8]?) -> PayloadPoint in PayloadPoint(x: point.y, y: point.x) }
        }
        let ws = try await connectedClient(port)
        ws.send(text: #"421["point",{"y":2,"x":1,"extra":true}]"#)
        #expect(await ws.waitForText { $0.hasPrefix("431") } == #"431[{"x":2,"y":1}]"#)
        ws.send(text: #"451-2["point",{"x":5,"y":6},{"_placeholder":true,"num":0}]"#)
        ws.send(binary: [1])
        #expect(await ws.waitForText { $0.hasPrefix("432") } == #"432[{"x":6,"y":5}]"#)
        ws.send(text: #"423["point",{"x":5}]"#)
        #expect(await ws.waitForText { $0.hasPrefix("433") }?.contains(#"missing key \"y\""#) == true)
        ws.close()
        let client = try await SocketIOTestClient.connect(to: sio, path: "")
        let ack = try await client.emitWithAck("point", [.object(JSONObject([(key: "x", value: .int(7)), (key: "y", value: .int(8))]))])
        #expect(ack == [.object(JSONObject([(key: "x", value: .int(8)), (key: "y", value: .int(7))]))])
        await client.close()
        await server.shutdown()
    }
}
