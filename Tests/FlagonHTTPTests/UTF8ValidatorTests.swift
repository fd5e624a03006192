import Testing
@testable import FlagonHTTP

@Suite struct UTF8ValidatorTests {
    /// What the standard library's decoder says about the same bytes.
    private func reference(_ bytes: [UInt8]) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    private func validate(_ bytes: [UInt8], split: Int? = nil) -> Bool {
        var validator = UTF8Validator()
        guard let split else { return validator.feed(bytes) && validator.isComplete }
        return validator.feed(Array(bytes[..<split])) && validator.feed(Array(bytes[split...])) && validator.isComplete
    }

    @Test func multibyteCharactersAtEveryOffsetOfTheWordScan() {
        let pieces: [[UInt8]] = [
            Array("é".utf8), Array("€".utf8), Array("😀".utf8),
            [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80], [0xFF],
        ]
        for piece in pieces {
            for before in 0..<17 {
                for after in [0, 1, 7, 8, 9] {
                    let bytes = Array(repeating: UInt8(ascii: "a"), count: before) + piece
                        + Array(repeating: UInt8(ascii: "b"), count: after)
                    #expect(validate(bytes) == reference(bytes), "\(piece) after \(before), before \(after)")
                    for split in 0...bytes.count {
                        #expect(validate(bytes, split: split) == reference(bytes))
                    }
                }
            }
        }
    }

    @Test func longAsciiAndPseudoRandomText() {
        let ascii = Array(repeating: UInt8(ascii: "x"), count: 1000)
        #expect(validate(ascii))
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int(state % 40) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let byte = UInt8(truncatingIfNeeded: state >> 33)
                bytes.append(state >> 62 == 0 ? byte : byte & 0x7F)
            }
            #expect(validate(bytes) == reference(bytes))
        }
    }
}
