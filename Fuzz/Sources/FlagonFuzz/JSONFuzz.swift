import FlagonJSON

/// Parses JSON; the validator (used for arguments passed on unparsed) must accept exactly
/// what parses; what parses is serialized and must parse back to the same value; decoding
/// from the text (``JSONReader``) must agree with decoding the parsed value.
enum JSONFuzz {
    /// A shape with a field of each kind, nested.
    struct Probe: Decodable, Equatable {
        let a: Int?
        let b: String?
        let c: [Probe]?
        let d: Double?
        let e: [String: Bool]?
        let f: UInt8?
    }

    static func run(_ input: [UInt8]) {
        let parsed = try? JSONValue.parse(input, maxDepth: 32)
        let valid = input.withUnsafeBufferPointer { (try? JSONValue.validate($0, maxDepth: 32)) != nil }
        check(valid == (parsed != nil), "validate and parse disagree on \(String(decoding: input, as: UTF8.self))")
        guard let value = parsed else { return }
        agree(Probe.self, input, value)
        agree([Probe].self, input, value)
        agree([Int?].self, input, value)
        agree(String.self, input, value)
        readsAgree(input, value)
        measuredAgrees(value)
        let text = Array(value.jsonString.utf8)
        guard let again = try? JSONValue.parse(text, maxDepth: 64) else {
            return check(false, "serialized JSON does not parse: \(value.jsonString)")
        }
        check(same(again, value), "round trip changed the value: \(value.jsonString)")
        check(Array(again.jsonString.utf8) == text, "serialization is not stable")
    }

    /// The text decoder and the value decoder give the same value or the same error.
    static func agree<T: Decodable & Equatable>(_ type: T.Type, _ input: [UInt8], _ value: JSONValue) {
        let byTree = Result { try JSONValueDecoder().decode(T.self, from: value) }
        let byText = Result {
            try input.withUnsafeBufferPointer { buffer in
                var reader = JSONReader(validated: buffer)
                return try reader.decode(T.self)
            }
        }
        switch (byTree, byText) {
        case (.success(let a), .success(let b)):
            check(a == b, "text and tree decode \(T.self) differently: \(value.jsonString)")
        case (.failure(let a), .failure(let b)):
            check(String(describing: a) == String(describing: b), "text and tree fail differently on \(T.self): \(value.jsonString)")
        default:
            check(false, "text and tree disagree on \(T.self): \(value.jsonString)")
        }
    }

    /// Every string and integer of the value, measured and written through a pointer, is
    /// exactly its length and the bytes the array writer writes.
    static func measuredAgrees(_ value: JSONValue) {
        switch value {
        case .string(let string):
            var expected: [UInt8] = []
            JSONSerializer.writeString(string, into: &expected)
            check(JSONSerializer.stringTextLength(string) == expected.count, "a string's measured length differs: \(value.jsonString)")
            var out = [UInt8](repeating: 0, count: expected.count)
            let end = out.withUnsafeMutableBytes { JSONSerializer.writeString(string, at: $0.baseAddress!) - $0.baseAddress! }
            check(end == expected.count && out == expected, "a string written through a pointer differs: \(value.jsonString)")
        case .int(let int):
            var expected: [UInt8] = []
            JSONSerializer.writeInt(int, into: &expected)
            var out = [UInt8](repeating: 0, count: JSONSerializer.intTextLength(int))
            let end = out.withUnsafeMutableBytes { JSONSerializer.writeInt(int, at: $0.baseAddress!) - $0.baseAddress! }
            check(end == out.count && out == expected, "an integer written through a pointer differs: \(int)")
        case .array(let items): items.forEach(measuredAgrees)
        case .object(let object):
            for member in object {
                measuredAgrees(.string(member.key))
                measuredAgrees(member.value)
            }
        default: break
        }
    }

    /// The reader's direct reads agree with the parse: an integer read as one, and each key
    /// of an object matched to its index among some of the object's own names.
    static func readsAgree(_ input: [UInt8], _ value: JSONValue) {
        input.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(validated: buffer)
            let int = reader.readInt()
            if case .int(let expected) = value { check(int == expected, "readInt read \(String(describing: int)) of \(expected)") }
            if let int { check(value.intValue == int, "readInt read \(int) of \(value.jsonString)") }
            guard case .object(let object) = value else { return }
            // Each key as a string (one reader) and as an index (another), side by side.
            var plain = JSONReader(validated: buffer), keys = JSONReader(validated: buffer)
            let known = Array(object.map(\.key).prefix(3)) + ["x"]
            let names = JSONKeyNames(known)
            guard (try? plain.enterObject()) != nil, (try? keys.enterObject()) != nil else {
                return check(false, "an object could not be entered")
            }
            var previous = -1
            while true {
                let key: String?, index: Int?
                do {
                    key = try plain.nextKey()
                    index = try keys.nextKeyIndex(names, after: previous)
                } catch {
                    return check(false, "a key could not be read in \(value.jsonString): \(error)")
                }
                guard let key, let index else { return check(key == nil && index == nil, "the readers end apart") }
                check(index == (known.firstIndex(of: key) ?? -1), "nextKeyIndex read \(index) for \(key)")
                check(plain.offset == keys.offset, "the readers stand apart after \(key)")
                previous = index
                guard (try? plain.skipValue()) != nil, (try? keys.skipValue()) != nil else {
                    return check(false, "a member's value could not be skipped")
                }
            }
        }
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
