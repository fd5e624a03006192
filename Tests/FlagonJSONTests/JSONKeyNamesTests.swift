import FlagonJSON
import Testing

/// Reads every key of the one object in `text` as indexes in `names`.
private func keyIndexes(_ text: String, _ names: JSONKeyNames) throws -> [Int] {
    let bytes = Array(text.utf8)
    return try bytes.withUnsafeBufferPointer { buffer in
        var reader = JSONReader(validated: buffer)
        try reader.enterObject()
        var found: [Int] = []
        var previous = -1
        while let index = try reader.nextKeyIndex(names, after: previous) {
            found.append(index)
            previous = index
            try reader.skipValue()
        }
        #expect(reader.kind() == nil)
        return found
    }
}

/// Reads the one value of `text` with `readInt`, and what follows.
private func readInt(_ text: String) -> (Int?, JSONReader.Kind?) {
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBufferPointer { buffer in
        var reader = JSONReader(validated: buffer)
        return (reader.readInt(), reader.kind())
    }
}

@Suite struct JSONKeyNamesTests {
    static let names = JSONKeyNames(["x", "xy", "name", "ü"])

    @Test func keysInAnyOrderUnknownOnesAndPrefixesAreTold() throws {
        #expect(try keyIndexes(#"{"x":1,"xy":2,"name":3,"ü":4}"#, Self.names) == [0, 1, 2, 3])
        #expect(try keyIndexes(#"{"ü":4,"name":3,"xy":2,"x":1}"#, Self.names) == [3, 2, 1, 0])
        #expect(try keyIndexes(#"{"xyz":0,"":1,"nam":2,"x" : 3, "names":4}"#, Self.names) == [-1, -1, -1, 0, -1])
        #expect(try keyIndexes(#"{}"#, Self.names) == [])
    }

    @Test func keysWithEscapesMatchTheNamesTheySpell() throws {
        #expect(try keyIndexes(#"{"\u0078":1,"n\u0061me":2,"\u00fc":3,"x\"":4}"#, Self.names) == [0, 2, 3, -1])
    }

    @Test func namesThatAreNotPlainAreMatchedWhole() throws {
        let names = JSONKeyNames(["a\"b", "a"])
        #expect(try keyIndexes(#"{"a\"b":1,"a":2,"a\\":3}"#, names) == [0, 1, -1])
    }

    /// Names of up to 7 bytes are matched by one word compare where 8 bytes of text remain,
    /// longer ones byte by byte: both sides of the boundary, near the text's end and not.
    @Test func shortAndLongNamesMatchOnlyThemselves() throws {
        let names = JSONKeyNames(["abcdefg", "abcdefgh", "abcdef", ""])
        #expect(try keyIndexes(#"{"abcdefgh":1,"abcdefg":2,"abcdef":3,"":4,"abcdefghi":5,"abcdefgh":6}"#, names)
            == [1, 0, 2, 3, -1, 1])
        #expect(try keyIndexes(#"{"abcdefg":2}"#, names) == [0])
        #expect(try keyIndexes(#"{"abcdef":2}"#, names) == [2])
        #expect(try keyIndexes(#"{"":2}"#, names) == [3])
        #expect(try keyIndexes(#"{"abcdefgh":0}"#, names) == [1])
    }

    /// Members written as `JSON.stringify` writes them, in the names' order, are matched as
    /// one word; any other spelling or order goes the general way, with the same answers.
    @Test func membersInTheirOrderAndWithoutSpacesMatchTheSameAsAnyOther() throws {
        let names = JSONKeyNames(["a", "ab", "abcde", "abcdef"])
        #expect(try keyIndexes(#"{"a":1,"ab":2,"abcde":3,"abcdef":4}"#, names) == [0, 1, 2, 3])
        #expect(try keyIndexes(#"{"ab":1,"a":2,"abcdef":3,"abcde":4}"#, names) == [1, 0, 3, 2])
        #expect(try keyIndexes(#"{ "a" : 1 , "ab":2,"abc":3,"abcde": 4}"#, names) == [0, 1, -1, 2])
        #expect(try keyIndexes(#"{"a":{"a":1,"ab":[2]},"ab":"x","abcde":null}"#, names) == [0, 1, 2])
        #expect(try keyIndexes(#"{"x":1,"a":2,"ab":3}"#, names) == [-1, 0, 1])
        #expect(try keyIndexes(#"{"a":1}"#, names) == [0])
    }

    @Test func integersAreReadDirectlyAndEverythingElseIsLeft() {
        #expect(readInt("42,1") == (42, nil))
        #expect(readInt("-0") == (0, nil))
        #expect(readInt("9223372036854775807") == (Int.max, nil))
        #expect(readInt("-9223372036854775808") == (Int.min, nil))
        #expect(readInt("9223372036854775808") == (nil, .number))
        #expect(readInt("1.5") == (nil, .number))
        #expect(readInt("1e3") == (nil, .number))
        #expect(readInt("\"1\"") == (nil, .string))
    }
}
