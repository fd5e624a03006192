import FlagonJSON
import FlagonMacros
import FlagonSocketIO
import Testing

@EventPayload
struct MeasuredSample: Equatable {
    let id: Int
    let text: String
    let done: Bool
    let note: String?
    let count: Int?
}

@EventPayload
struct MeasuredWithDouble {
    let id: Int
    let ratio: Double
}

/// The measured text of `value` (length first, then written through a pointer into exactly
/// that many bytes), or `nil` when the type does not measure it.
private func measuredText(_ value: some JSONTextWritable) -> [UInt8]? {
    guard let length = value._jsonTextLength() else { return nil }
    var out = [UInt8](repeating: 0xEE, count: length + 1)
    let written = out.withUnsafeMutableBytes { value._writeJSONText(at: $0.baseAddress!) - $0.baseAddress! }
    #expect(written == length)
    #expect(out[length] == 0xEE)   // nothing past the measured length
    return Array(out[..<length])
}

private func arrayText(_ value: some JSONTextWritable) -> [UInt8] {
    var out: [UInt8] = []
    #expect(value._writeJSONText(into: &out))
    return out
}

/// Measured writing: exactly the measured length, byte for byte what the array writer writes.
@Suite struct MeasuredTextTests {
    static let strings: [String] = {
        var strings = ["", "a", "hello world", "exactly8", "fifteen bytes!!", "sixteen bytes!!!", "ü", "日本語のテキスト", "🎉 party",
                       "quote\"in", "back\\slash", "\"", "\\", "line\nbreak\ttab\r\u{8}\u{c}", "1234567\"", "12345678\"", "\u{7f}del"]
        for byte in 0..<32 { strings.append("x" + String(UnicodeScalar(UInt8(byte))) + "y") }
        for length in 0..<20 { strings.append(String(repeating: "a", count: length) + "\u{1}" + String(repeating: "b", count: 20 - length)) }
        strings.append(String(repeating: "long text without escapes ", count: 40))
        return strings
    }()

    @Test func stringsAreMeasuredAndWrittenAsTheArrayWriterWritesThem() {
        for string in Self.strings {
            #expect(measuredText(string) == arrayText(string), "\(string.debugDescription)")
            #expect(JSONSerializer.stringTextLength(string) == arrayText(string).count)
        }
    }

    @Test func integersBooleansAndOptionalsToo() {
        for value in [0, 1, 9, 10, 99, 100, -1, -9, -10, 123_456_789, Int.max, Int.min] {
            #expect(measuredText(value) == arrayText(value), "\(value)")
        }
        #expect(measuredText(true) == Array("true".utf8))
        #expect(measuredText(false) == Array("false".utf8))
        #expect(measuredText(Int?.none) == Array("null".utf8))
        #expect(measuredText(Optional("a\"b")) == arrayText(Optional("a\"b")))
        #expect(measuredText(UInt8(255)) == Array("255".utf8))
    }

    @Test func payloadStructsAreMeasuredWhenEveryMemberIs() {
        for string in Self.strings {
            let full = MeasuredSample(id: -42, text: string, done: true, note: string, count: 7)
            #expect(measuredText(full) == arrayText(full))
            let sparse = MeasuredSample(id: 0, text: string, done: false, note: nil, count: nil)
            #expect(measuredText(sparse) == arrayText(sparse))
        }
        #expect(measuredText(MeasuredSample(id: 1, text: "t", done: true, note: nil, count: nil))
            == Array(#"{"id":1,"text":"t","done":true}"#.utf8))
        // A Double member is not measured: the ack goes through the array writer.
        #expect(MeasuredWithDouble(id: 1, ratio: 0.5)._jsonTextLength() == nil)
        #expect(arrayText(MeasuredWithDouble(id: 1, ratio: 0.5)) == Array(#"{"id":1,"ratio":0.5}"#.utf8))
        // Types that do not measure: arrays, dictionaries, values.
        #expect([1, 2]._jsonTextLength() == nil)
        #expect(JSONValue.int(1)._jsonTextLength() == nil)
    }
}
