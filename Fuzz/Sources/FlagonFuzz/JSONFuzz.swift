import FlagonJSON

/// Parses JSON; the validator (used for arguments passed on unparsed) must accept exactly
/// what parses; what parses is serialized and must parse back to the same value.
enum JSONFuzz {
    static func run(_ input: [UInt8]) {
        let parsed = try? JSONValue.parse(input, maxDepth: 32)
        let valid = input.withUnsafeBufferPointer { (try? JSONValue.validate($0, maxDepth: 32)) != nil }
        check(valid == (parsed != nil), "validate and parse disagree on \(String(decoding: input, as: UTF8.self))")
        guard let value = parsed else { return }
        let text = Array(value.jsonString.utf8)
        guard let again = try? JSONValue.parse(text, maxDepth: 64) else {
            return check(false, "serialized JSON does not parse: \(value.jsonString)")
        }
        check(same(again, value), "round trip changed the value: \(value.jsonString)")
        check(Array(again.jsonString.utf8) == text, "serialization is not stable")
    }

    /// Equal values; numbers of different kinds compare by value (JavaScript writes 23.0 as
    /// 23, which reads back as an integer, and 3.2e20 as 320000000000000000000, which reads
    /// back as a number too large for Int).
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.int, .double), (.double, .int), (.largeNumber, .double), (.double, .largeNumber),
             (.largeNumber, .int), (.int, .largeNumber):
            return a.doubleValue == b.doubleValue
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && same($0.value, $1.value) }
        default: return a == b
        }
    }
}
