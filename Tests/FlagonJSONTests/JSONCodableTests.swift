import FlagonJSON
import Testing

private struct Player: Codable, Equatable {
    struct Position: Codable, Equatable {
        var x: Int
        var y: Double
    }

    enum Role: String, Codable { case host, guest }

    var name: String
    var position: Position
    var role: Role
    var tags: [String]
    var nickname: String?
    var avatar: [UInt8]
    var small: Int8
    var big: UInt64
}

@Suite struct JSONCodableTests {
    private let player = Player(
        name: "ada", position: .init(x: 1, y: 2.5), role: .host, tags: ["a", "b"], nickname: nil, avatar: [1, 2],
        small: -3, big: UInt64.max)

    @Test func encodesInDeclarationOrderWithoutFoundation() throws {
        let value = try JSONValueEncoder().encode(player)
        #expect(value["position"] == ["x": 1, "y": 2.5])
        #expect(value["role"] == "host" && value["tags"] == ["a", "b"] && value["small"] == -3)
        #expect(value["avatar"] == .binary([1, 2]))
        #expect(value["nickname"] == nil)
        #expect(value["big"] == .largeNumber("18446744073709551615"))
        #expect(value.objectValue?.keys == ["name", "position", "role", "tags", "avatar", "small", "big"])
    }

    @Test func roundTrips() throws {
        let value = try JSONValueEncoder().encode(player)
        #expect(try JSONValueDecoder().decode(Player.self, from: value) == player)
        var named = player
        named.nickname = "a"
        #expect(try JSONValueDecoder().decode(Player.self, from: JSONValueEncoder().encode(named)) == named)
        #expect(try JSONValueDecoder().decode([Int].self, from: [1, 2.0, 3]) == [1, 2, 3])
        #expect(try JSONValueDecoder().decode([UInt8].self, from: .binary([9])) == [9])
        #expect(try JSONValueDecoder().decode([String: Int].self, from: ["a": 1]) == ["a": 1])
    }

    @Test func errorsSayWhereAndWhat() throws {
        let missing: JSONValue = ["name": "ada", "position": ["x": 1], "role": "host", "tags": [], "avatar": [], "small": 0, "big": 0]
        #expect {
            try JSONValueDecoder().decode(Player.self, from: missing)
        } throws: { error in
            guard case DecodingError.keyNotFound(let key, let context) = error else { return false }
            return key.stringValue == "y" && context.codingPath.map(\.stringValue) == ["position"]
        }
        let wrong: JSONValue = ["name": "ada", "position": ["x": 1.5, "y": 1], "role": "host", "tags": [], "avatar": [], "small": 0, "big": 0]
        #expect {
            try JSONValueDecoder().decode(Player.self, from: wrong)
        } throws: { error in
            guard case DecodingError.typeMismatch(_, let context) = error else { return false }
            return context.debugDescription == "expected an integer that fits Int, got a number"
                && context.codingPath.map(\.stringValue) == ["position", "x"]
        }
        #expect(throws: DecodingError.self) { try JSONValueDecoder().decode(Int8.self, from: 300) }
        #expect(throws: EncodingError.self) { try JSONValueEncoder().encode([Double.nan]) }
    }
}
