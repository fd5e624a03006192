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
