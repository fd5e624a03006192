import FlagonJSON
import FlagonMessagePack
import Testing
@testable import FlagonSocketIOCore

/// MessagePack maps cost a constant per entry whatever their keys: the shapes an attacker
/// would send at the size limit (about 1 MB), counted in key comparisons, not timed.
@Suite struct LinearMessagePackTests {
    /// Entries that fill about 1 MB of MessagePack (about 10 bytes each).
    private static let count = 93_000

    /// A CONNECT packet whose auth is `entries`, as `socket.io-msgpack-parser` writes one.
    private static func connect(auth entries: [MessagePackMap.Entry]) -> [UInt8] {
        MessagePackWriter.encode(.map(["type": 0, "nsp": "/", "data": .map(MessagePackMap(entries))]))
    }

    @Test func anAuthOfDistinctKeysCostsAtMostTheScanLimitPerKey() throws {
        let bytes = Self.connect(auth: (0..<Self.count).map { .init(key: .string("k\($0)"), value: .int(Int64($0))) })
        #expect(bytes.count > 900_000 && bytes.count < 1_000_000)
        var comparisons = 0
        let value = try JSONValue.converting(MessagePackReader.decode(bytes), comparisons: &comparisons)
        // Scans stop at the limit; past it the keys are indexed.
        let limit = JSONObject.Builder.scanLimit
        #expect(comparisons <= limit * limit + 3 * limit)
        #expect(value["data"]?["k\(Self.count - 1)"] == .int(Self.count - 1))
        // The packet reads the same way (four lookups of its own keys, each a scan of three).
        let packet = try SocketIOPacket(messagePack: MessagePackReader.decode(bytes))
        #expect(packet.type == .connect && packet.data?.objectValue?.count == Self.count)
    }

    @Test func oneKeyRepeatedKeepsItsLastValueAtLinearCost() throws {
        let bytes = Self.connect(auth: [.init(key: "first", value: true)]
            + (0..<Self.count).map { .init(key: "same", value: .int(Int64($0))) })
        var comparisons = 0
        let value = try JSONValue.converting(MessagePackReader.decode(bytes), comparisons: &comparisons)
        #expect(comparisons <= 2 * Self.count + 16)
        #expect(value["data"]?.objectValue?.keys == ["first", "same"])
        #expect(value["data"]?["same"] == .int(Self.count - 1))
    }

    @Test func nestedMapsCountEachLevelOnce() throws {
        // 1,000 maps of 85 keys each: every map is counted on its own, none rescanned.
        let inner = MessagePackValue.map(MessagePackMap((0..<85).map { .init(key: .string("k\($0)"), value: .nil) }))
        let bytes = MessagePackWriter.encode(.array(Array(repeating: inner, count: 1000)))
        var comparisons = 0
        let value = try JSONValue.converting(MessagePackReader.decode(bytes), comparisons: &comparisons)
        let limit = JSONObject.Builder.scanLimit
        #expect(comparisons <= 1000 * limit * limit)
        #expect(value.arrayValue?.count == 1000 && value[999]?.objectValue?.count == 85)
    }
}
