import Testing
@testable import FlagonJSON

/// Objects cost a constant per member whatever their keys: the shapes an attacker would send
/// at the size limit (about 1 MB), counted in key comparisons, not timed.
@Suite struct LinearObjectTests {
    private static let count = 85_000

    @Test func distinctKeysCostAtMostTheScanLimitPerMember() {
        var builder = JSONObject.Builder()
        for index in 0..<Self.count { builder.add("k\(index)", .int(index)) }
        #expect(builder.object.count == Self.count)
        // Scans stop at the limit; past it the keys are indexed.
        #expect(builder.comparisons <= JSONObject.Builder.scanLimit * JSONObject.Builder.scanLimit)
        #expect(builder.object["k84999"] == .int(84_999))
    }

    @Test func oneKeyRepeatedKeepsItsLastValueAtItsFirstPlace() {
        var builder = JSONObject.Builder()
        builder.add("first", true)
        for index in 0..<Self.count { builder.add("same", .int(index)) }
        #expect(builder.object.keys == ["first", "same"])
        #expect(builder.object["same"] == .int(Self.count - 1))
        #expect(builder.comparisons <= 2 * Self.count)
    }

    @Test func repeatsAfterManyKeysGoThroughTheIndex() {
        var builder = JSONObject.Builder()
        for index in 0..<1000 { builder.add("k\(index)", .int(index)) }
        let scanned = builder.comparisons
        for _ in 0..<Self.count { builder.add("k999", .null) }
        #expect(builder.comparisons == scanned)   // no scan once indexed
        #expect(builder.object.count == 1000)
        #expect(builder.object["k999"] == .null)
    }

    @Test func theParserAndTheDecodersReadHugeObjects() throws {
        var text = "{"
        for index in 0..<Self.count { text += "\"k\(index)\":\(index)," }
        for _ in 0..<1000 { text += "\"k7\":-1," }
        text += "\"end\":0}"
        #expect(text.utf8.count > 900_000)
        guard case .object(let object) = try JSONValue.parse(text) else {
            Issue.record("not an object")
            return
        }
        #expect(object.count == Self.count + 1)
        #expect(object["k7"] == .int(-1))
        // A dictionary reads every key: through the index, from the value and from the text.
        let fromValue = try JSONValueDecoder().decode([String: Int].self, from: .object(object))
        #expect(fromValue.count == Self.count + 1 && fromValue["k7"] == -1)
        let bytes = Array(text.utf8)
        let fromText = try bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(validated: buffer)
            return try reader.decode([String: Int].self)
        }
        #expect(fromText.count == Self.count + 1 && fromText["k7"] == -1 && fromText["k84999"] == 84_999)
    }

    @Test func smallObjectsKeepTheirOrderAndLastValues() throws {
        let object = try JSONValue.parse(#"{"b":1,"a":2,"b":3}"#)
        #expect(object == .object(JSONObject([(key: "b", value: .int(3)), (key: "a", value: .int(2))])))
        #expect(object.jsonString == #"{"b":3,"a":2}"#)
    }
}
