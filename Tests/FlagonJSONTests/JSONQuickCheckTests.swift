@testable import FlagonJSON
import Testing

/// The one-pass check is never more lenient than the full grammar, and takes the common text.
struct JSONQuickCheckTests {
    private func quick(_ text: String, maxDepth: Int = 128) -> Bool {
        Array(text.utf8).withUnsafeBufferPointer { JSONQuickCheck.accepts($0, maxDepth: maxDepth) }
    }

    private func full(_ bytes: [UInt8], maxDepth: Int = 128) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(bytes: buffer, maxDepth: maxDepth)
            return (try? parser.skipDocument()) != nil
        }
    }

    @Test(arguments: [
        #"["echo",{"n":1,"s":"hello world"}]"#, "0", "-0", "12.5e-3", "1E+9", "true", "false", "null",
        #""a \"quoted\" \\ word\/\n\t\r\b\f""#, "[]", "{}", " [ 1 , [ ] , { } ] ", #"{"a":{"b":[true,null,{"c":"0123456789abcdef"}]}}"#,
        #""exactly8""#, #""sixteen bytes ok""#, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    ])
    func acceptsCommonValidText(_ text: String) {
        #expect(quick(text))
        #expect(full(Array(text.utf8)))
    }

    @Test(arguments: [
        "", " ", "[", "]", "[1,]", "[,1]", "{\"a\"}", "{\"a\":}", "{a:1}", "{\"a\":1,}", "01", "-", "1.", ".5", "1e", "1e+",
        "+1", "tru", "nul", "falsey", "[1 2]", "\"open", "\"tab\there\"", "\"bad \\x escape\"", "[1]]", "[1] x", "{\"a\":1]",
        "[1}", "\"\u{7F}\u{1}\"",
    ])
    func refusesInvalidText(_ text: String) {
        #expect(!quick(text))
        #expect(!full(Array(text.utf8)))
    }

    @Test(arguments: [#""é""#, #""\u00e9""#, "[\"😀\"]"])
    func leavesWhatItDoesNotCoverToTheFullCheck(_ text: String) {
        #expect(!quick(text))
        #expect(full(Array(text.utf8)))
    }

    @Test func leavesDeepNestingToTheFullCheckAndKeepsTheLimit() {
        let deep = String(repeating: "[", count: 70) + String(repeating: "]", count: 70)
        #expect(!quick(deep))
        #expect(!quick("[[[]]]", maxDepth: 2))
        #expect(quick("[[]]", maxDepth: 2))
    }

    @Test func findsSpecialBytesAtEveryOffsetOfTheWordScan() {
        for length in 0..<24 {
            for offset in 0..<length {
                for special: UInt8 in [0x22, 0x5C, 0x1F, 0x00, 0x80, 0xFF, 0x7F, 0x20] {
                    var body = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    body[offset] = special
                    let text = [UInt8(ascii: "\"")] + body + [UInt8(ascii: "\"")]
                    let quick = text.withUnsafeBufferPointer { JSONQuickCheck.accepts($0, maxDepth: 8) }
                    let expected = special == 0x7F || special == 0x20
                    #expect(quick == expected, "byte \(special) at \(offset) of \(length)")
                    if quick { #expect(full(text)) }
                }
            }
        }
    }

    /// Pseudo-random edits of valid documents: whatever the quick check takes, the grammar takes.
    @Test func neverAcceptsWhatTheGrammarRefuses() {
        let seeds = [#"["echo",{"n":-12.5e3,"s":"hello \"world\"","l":[true,false,null,0]}]"#, #"{"a":[1,{"b":"c"}],"d":""}"#]
        let alphabet = Array(#"{}[]":,.-+eE0123456789tfnrul\" a"#.utf8) + [0x09, 0x0A, 0x00, 0x80]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33) % bound
        }
        var agreed = 0
        for round in 0..<20_000 {
            var text = Array(seeds[round % seeds.count].utf8)
            for _ in 0...next(3) {
                let at = next(text.count)
                switch next(3) {
                case 0: text[at] = alphabet[next(alphabet.count)]
                case 1: text.insert(alphabet[next(alphabet.count)], at: at)
                default: text.remove(at: at)
                }
                if text.isEmpty { break }
            }
            let quick = text.withUnsafeBufferPointer { JSONQuickCheck.accepts($0, maxDepth: 128) }
            let grammar = full(text)
            #expect(!quick || grammar, "quick check took \(String(decoding: text, as: UTF8.self))")
            if quick == grammar { agreed += 1 }
        }
        #expect(agreed > 15_000)
    }

    @Test func theRestOfAnArrayIsCheckedFromItsElements() {
        func rest(_ text: String, maxDepth: Int = 128) -> Bool {
            Array(text.utf8).withUnsafeBufferPointer { JSONQuickCheck.acceptsArrayRest($0, maxDepth: maxDepth) }
        }
        for valid in [#"1]"#, #" {"a":[1,2]} , "x" ] "#, #"null,true,false,-0.5e+3]"#, "[[]]]"] { #expect(rest(valid), "\(valid)") }
        for invalid in ["]", "1", "1,]", "1]]", "1] x", "1}", "", " "] { #expect(!rest(invalid), "\(invalid)") }
        #expect(!rest("[1]]", maxDepth: 1))
        #expect(rest("[1]]", maxDepth: 2))
        // Through validate: what the quick pass cannot take is checked whole, and refused or taken as parse would.
        func validate(_ text: String, from start: Int) -> Bool {
            Array(text.utf8).withUnsafeBufferPointer { (try? JSONValue.validate($0, arrayElementsFrom: start)) != nil }
        }
        #expect(validate(#"["e","é"]"#, from: 5))
        #expect(!validate(#"["e",01]"#, from: 5))
        #expect(validate(#"["e",{"a":1}]"#, from: 5))
    }
}
