import Testing
import FlagonJSON

private func roundTrip(_ text: String) throws -> String {
    try JSONValue.parse(text).jsonString
}

@Suite struct JSONValueTests {
    @Test(arguments: [
        #"["message-back",1,"2",{"3":[true]}]"#,
        #"[1,"2",{"3":[false]}]"#,
        #"{"n":1,"s":"hello world"}"#,
        #"{"z":1,"a":2,"m":{"y":null,"b":[]}}"#,
        #"[]"#, #"{}"#, #""""#, #"0"#, #"-0.5"#, #"1.5"#, #"1e+21"#, #"1.5e-7"#, #"123456789"#,
        #"-9223372036854775808"#, #"9223372036854775807"#,
        #"123456789012345678901234567890"#,
        #"["a\"b\\c\n\t\u0001é🎉"]"#,
    ])
    func roundTripsExactly(_ text: String) throws {
        #expect(try roundTrip(text) == text)
    }

    @Test func writesNumbersAsJavaScriptDoes() throws {
        let cases: [(Double, String)] = [
            (1.0, "1"), (-2.0, "-2"), (0.1, "0.1"), (1e21, "1e+21"), (1e-7, "1e-7"), (123e-20, "1.23e-18"),
            (0.000001, "0.000001"), (1234.5678, "1234.5678"), (Double.leastNonzeroMagnitude, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308"),
            (100, "100"), (1e20, "100000000000000000000"), (2.5e15, "2500000000000000"),
        ]
        for (value, expected) in cases {
            var out: [UInt8] = []
            try JSONSerializer.writeDouble(value, into: &out)
            #expect(String(decoding: out, as: UTF8.self) == expected, "\(value)")
        }
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        #expect(try JSONValue.parse(#""\ud83c\udf89 \u00e9\/""#) == .string("🎉 é/"))
        #expect(try JSONValue.parse(#""\ud800x""#) == .string("\u{FFFD}x"))
        #expect(try JSONValue.parse(#"["\u0000"]"#).jsonString == #"["\u0000"]"#)
    }

    @Test func keepsNumbersExact() throws {
        #expect(try JSONValue.parse("1") == .int(1))
        #expect(try JSONValue.parse("1.0") == .double(1))
        #expect(try JSONValue.parse("18446744073709551616") == .largeNumber("18446744073709551616"))
        #expect(try JSONValue.parse("1e400") == .largeNumber("1e400"))
    }

    @Test(arguments: [
        "", "[", "[1,]", "{\"a\":1,}", "{a:1}", "01", "1.", ".5", "-", "+1", "NaN", "Infinity", "tru", "nul",
        "\"abc", "\"a\u{01}b\"", "[1 2]", "{\"a\" 1}", "\"\\x\"", "\"\\u12\"", "1 2", "[\"ok\"]]",
    ])
    func rejectsInvalidJSON(_ text: String) {
        #expect(throws: JSONError.self) { try JSONValue.parse(text) }
        #expect(!Self.validates(Array(text.utf8)))
    }

    private static func validates(_ bytes: [UInt8], maxDepth: Int = 128) -> Bool {
        bytes.withUnsafeBufferPointer { (try? JSONValue.validate($0, maxDepth: maxDepth)) != nil }
    }

    /// The validator (for arguments passed on unparsed) accepts exactly what the parser accepts.
    @Test func validatesExactlyWhatParses() {
        let valid = [
            #"["echo",{"n":1,"s":"hello world"}]"#, #" [ 1 , -0.5e+3 , "\u00e9\n\"" , true, false, null, {} , [] ] "#,
            "\"caf\u{e9} \u{1F600}\"", #"{"a":{"b":[{"c":"\ud83d\ude00"}]}}"#, "18446744073709551616", "0", "-0",
        ]
        for text in valid { #expect(Self.validates(Array(text.utf8)), "\(text)") }
        #expect(!Self.validates([34, 0xFF, 34]) && !Self.validates([34, 0xED, 0xA0, 0x80, 34]))   // bad UTF-8, a surrogate
        let deep = Array((String(repeating: "[", count: 129) + String(repeating: "]", count: 129)).utf8)
        #expect(!Self.validates(deep) && Self.validates(deep, maxDepth: 129))
    }

    @Test func rejectsInvalidUTF8AndDeepNesting() {
        #expect(throws: JSONError.self) { try JSONValue.parse([34, 0xFF, 34]) }
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: JSONError.tooDeep(max: 128)) { try JSONValue.parse(deep) }
        #expect(throws: Never.self) { try JSONValue.parse(deep, maxDepth: 300) }
    }

    @Test func refusesNonFiniteNumbersAndBareBinary() {
        #expect(throws: JSONError.nonFiniteNumber) { try JSONValue.double(.nan).serialized() }
        #expect(throws: JSONError.nonFiniteNumber) { try JSONValue.double(.infinity).serialized() }
        #expect(throws: JSONError.binaryNotAllowed) { try JSONValue.binary([1]).serialized() }
    }

    @Test func literalsAndAccessors() {
        let value: JSONValue = ["ok": true, "items": [1, 2.5, "three", nil], "nested": ["k": "v"]]
        #expect(value["ok"]?.boolValue == true)
        #expect(value["items"]?[1]?.doubleValue == 2.5)
        #expect(value["items"]?[2]?.stringValue == "three")
        #expect(value["items"]?[3]?.isNull == true)
        #expect(value["nested"]?["k"] == "v")
        #expect(value["missing"] == nil)
        #expect(value.jsonString == #"{"ok":true,"items":[1,2.5,"three",null],"nested":{"k":"v"}}"#)
        var object = JSONObject()
        object["b"] = 1
        object["a"] = 2
        object["b"] = 3
        #expect(JSONValue.object(object).jsonString == #"{"b":3,"a":2}"#)
        object["b"] = nil
        #expect(object.keys == ["a"])
    }

    /// Found by the JSON fuzzer: JavaScript's number writing changes the kind of a number
    /// (23.0 → 23, 3.2e20 → 320000000000000000000) but never its value.
    @Test func numbersKeepTheirValueThroughARoundTrip() throws {
        let double = try JSONValue.parse("23.0")
        #expect(double.jsonString == "23")
        #expect(try JSONValue.parse(double.jsonString).doubleValue == double.doubleValue)
        let large = try JSONValue.parse("325555555555555555555.55122")
        let again = try JSONValue.parse(large.jsonString)
        #expect(again.doubleValue == large.doubleValue)
        #expect(again.jsonString == large.jsonString)
    }
}
