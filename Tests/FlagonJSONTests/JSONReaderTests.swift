import FlagonJSON
import Testing

private struct Point: Decodable, Equatable {
    let x: Int
    let y: Int
}

private struct Shape: Decodable, Equatable {
    enum Kind: String, Decodable { case line, polygon }
    let kind: Kind
    let name: String?
    let points: [Point]
    let weight: Double
    let tags: [String: Int8]
    let closed: Bool
}

/// Decodes `text` as the reader decodes it and as JSONValueDecoder decodes the parsed
/// value: the same value, or the same error (type, coding path and message).
private func agree<T: Decodable & Equatable>(_ type: T.Type, _ text: String) throws -> T? {
    let bytes = Array(text.utf8)
    try bytes.withUnsafeBufferPointer { try JSONValue.validate($0) }
    let byTree = Result { try JSONValueDecoder().decode(T.self, from: JSONValue.parse(bytes)) }
    let byText = Result {
        try bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(validated: buffer)
            return try reader.decode(T.self)
        }
    }
    switch (byTree, byText) {
    case (.success(let a), .success(let b)):
        #expect(a == b, "\(text)")
        return a
    case (.failure(let a), .failure(let b)):
        #expect(String(describing: a) == String(describing: b), "\(text)")
        return nil
    default:
        Issue.record("the paths disagree on \(text): tree \(byTree), text \(byText)")
        return nil
    }
}

@Test func decodingFromTextAgreesWithDecodingTheTree() throws {
    let shape = try agree(Shape.self, #"""
        {"kind":"polygon","name":null,"points":[{"x":1,"y":2},{"y":4,"x":3.0}],"weight":1.5e1,"tags":{"a":1,"b":-128},"closed":true}
        """#)
    #expect(shape == Shape(kind: .polygon, name: nil, points: [Point(x: 1, y: 2), Point(x: 3, y: 4)], weight: 15,
                           tags: ["a": 1, "b": -128], closed: true))
    // Whitespace everywhere, escaped keys, a repeated key (the last one counts), extra keys skipped.
    #expect(try agree(Point.self, " { \"\\u0078\" : 7 , \"y\":1, \"y\" : 2, \"z\": [1, {\"x\": [] }] } ") == Point(x: 7, y: 2))
    #expect(try agree([Point].self, "[]") == [])
    #expect(try agree([[Int]].self, "[[1,2],[],[3]]") == [[1, 2], [], [3]])
    #expect(try agree(String.self, #""caf\u00e9 \ud83d\ude00""#) == "café 😀")
    #expect(try agree(Int64.self, "9007199254740993") == 9_007_199_254_740_993)
    #expect(try agree(UInt64.self, "18446744073709551615") == UInt64.max)
    #expect(try agree([Int?].self, "[1,null,3]") == [1, nil, 3])
    // Errors: the same path and words on both paths.
    let failures = [
        (#"{"x":1}"#, "missing key"),
        (#"{"x":1,"y":"2"}"#, "wrong type"),
        (#"{"x":1.5,"y":2}"#, "not integral"),
        (#"[1,2]"#, "array for object"),
        (#"{"x":1,"y":{"z":1}}"#, "object for number"),
        (#"{"x":1,"y":[]}"#, "array for number"),
        ("null", "null for object"),
    ]
    for (text, _) in failures { #expect(try agree(Point.self, text) == nil) }
    #expect(try agree(Shape.self, #"{"kind":"circle","points":[],"weight":1,"tags":{},"closed":false}"#) == nil)
    #expect(try agree(Shape.self, #"{"kind":"line","points":[{"x":1}],"weight":1,"tags":{},"closed":false}"#) == nil)
    #expect(try agree(Shape.self, #"{"kind":"line","points":[],"weight":1,"tags":{"a":300},"closed":false}"#) == nil)
    #expect(try agree(Int8.self, "128") == nil)
    #expect(try agree([Int].self, #"{"a":1}"#) == nil)
}

@Test func theReaderStepsThroughASequenceOfValues() throws {
    let text = Array(#" "move" , {"x":1,"y":2} ,[true,null, 2.5],"tail" "#.utf8)
    try text.withUnsafeBufferPointer { bytes in
        var reader = JSONReader(validated: bytes)
        var more = reader.nextElement()
        #expect(more)
        let kind = reader.kind()
        #expect(kind == .string)
        let name = try reader.readScalar()
        #expect(name == "move")
        more = reader.nextElement()
        let object = try reader.readScalar()
        #expect(more && object == nil)   // an object is not a scalar, and is not consumed
        try reader.enterObject()
        var keys: [String] = []
        while let key = try reader.nextKey() {
            keys.append(key)
            try reader.skipValue()
        }
        #expect(keys == ["x", "y"])
        more = reader.nextElement()
        #expect(more)
        try reader.enterArray()
        var items: [JSONValue] = []
        while reader.nextElement() { items.append(try reader.readValue()) }
        #expect(items == [true, .null, 2.5])
        more = reader.nextElement()
        let tail = reader.remainingText()
        #expect(more && tail == Array(#""tail""#.utf8))
        let atEnd = !reader.nextElement() && reader.kind() == nil
        #expect(atEnd)
    }
}
