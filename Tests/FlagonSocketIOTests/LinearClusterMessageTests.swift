import FlagonJSON
import FlagonMessagePack
import FlagonSocketIOCore
import Testing
@testable import FlagonSocketIO

/// Messages read from Redis (another server's requests and broadcasts) cost a constant per
/// member whatever their keys: the worst shapes at about 1 MB, counted, not timed.
@Suite struct LinearClusterMessageTests {
    /// Entries that fill about 1 MB of MessagePack (about 10 bytes each).
    private static let count = 93_000

    @Test func aMessagePackRequestOfDistinctKeysCostsAtMostTheScanLimitPerKey() throws {
        var entries: [MessagePackMap.Entry] = [.init(key: "uid", value: "other"), .init(key: "type", value: 2)]
        entries += (0..<Self.count).map { .init(key: .string("k\($0)"), value: .int(Int64($0))) }
        let bytes = MessagePackWriter.encode(.map(MessagePackMap(entries)))
        #expect(bytes.count > 900_000 && bytes.count < 1_000_000)
        var comparisons = 0
        let message = try ClusterAdapterMessage.decode(bytes, comparisons: &comparisons)
        let limit = JSONObject.Builder.scanLimit
        #expect(comparisons <= limit * limit)
        #expect(message.type == .remoteJoin && message.uid == "other" && message.fields.count == Self.count + 2)
    }

    @Test func aMessagePackRequestOfOneKeyRepeatedIsLinear() throws {
        let entries: [MessagePackMap.Entry] = [.init(key: "uid", value: "other")]
            + (0..<Self.count).map { .init(key: "type", value: .int(Int64($0 % 10))) }
        var comparisons = 0
        let message = try ClusterAdapterMessage.decode(MessagePackWriter.encode(.map(MessagePackMap(entries))), comparisons: &comparisons)
        #expect(comparisons <= 2 * Self.count + 16)
        #expect(message.fields.keys == ["uid", "type"] && message.type == .broadcastAck)   // the last value: 92,999 % 10 = 9
    }

    @Test func aJSONRequestOfDistinctKeysIsReadWhole() throws {
        // JSON objects go through the same builder, counted in FlagonJSON's LinearObjectTests.
        var text = #"{"uid":"other","type":3"#
        for index in 0..<Self.count { text += ",\"k\(index)\":\(index)" }
        let message = try ClusterAdapterMessage.decode(Array((text + "}").utf8))
        #expect(message.type == .remoteLeave && message.fields.count == Self.count + 2 && message.fields["k\(Self.count - 1)"] == .int(Self.count - 1))
    }

    @Test func aBroadcastOfManyRoomsAndABigObjectIsRead() throws {
        let data = MessagePackValue.map(MessagePackMap((0..<Self.count / 2).map { .init(key: .string("k\($0)"), value: .nil) }))
        let packet: MessagePackValue = ["type": 2, "nsp": "/", "data": .array(["event", data])]
        let rooms = MessagePackValue.array((0..<50_000).map { .string("r\($0)") })
        let bytes = MessagePackWriter.encode(.array(["other", packet, ["rooms": rooms, "except": [], "flags": [:]]]))
        #expect(bytes.count > 500_000)
        let broadcast = try ClusterBroadcast.decode(bytes)
        #expect(broadcast.rooms.count == 50_000 && broadcast.packet.data?[1]?.objectValue?.count == Self.count / 2)
    }
}
