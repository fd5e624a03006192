/// A one-pass check of the JSON that clients send most: ASCII strings (simple escapes
/// allowed), numbers, literals, arrays and objects up to 64 deep.
///
/// It answers `true` only for text the strict grammar accepts; anything it does not
/// cover (non-ASCII bytes, `\u` escapes, deeper nesting) or does not accept answers
/// `false`, and the caller then runs the full check, which decides and says why. So it
/// may only ever be faster, never more lenient.
///
/// The grammar is a table: each byte's class and the current state give the next state;
/// only brackets and commas, which need the nesting, leave the table.
///
/// Why a second recognizer exists beside JSONParser's: without it, every event's arguments
/// are checked by the recursive descent, and an echo costs 3,563 instructions per ack
/// instead of 3,091 (+15 %; `Benchmarks/callgrind.sh echo-50`, one run, 2026-12-05). It
/// cannot make the server more lenient: it answers `true` only on text that its table
/// accepts, and the table's language is a subset of RFC 8259's (ASCII only, simple escapes,
/// bounded depth); everything else goes to the full check, which decides. The fuzz target
/// `json` compares `validate` (this check first) with `parse` on every input and fails where
/// they disagree.
enum JSONQuickCheck {
    /// Containers the check follows before it leaves the text to the full check.
    static let depthLimit = 64

    /// `true` when the bytes are certainly one valid JSON document no deeper than `maxDepth`.
    static func accepts(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) -> Bool {
        accepts(bytes, maxDepth: maxDepth, insideArray: false)
    }

    /// `true` when the bytes certainly continue a JSON array after one of its commas: values
    /// separated by commas, the closing bracket, then only white space (the array itself
    /// counting as the first of `maxDepth` levels).
    static func acceptsArrayRest(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) -> Bool {
        accepts(bytes, maxDepth: maxDepth, insideArray: true)
    }

    private static func accepts(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, insideArray: Bool) -> Bool {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return false }
        let tables = Self.tables
        return tables.classes.withUnsafeBufferPointer { classes in
            tables.transitions.withUnsafeBufferPointer { transitions in
                run(base, bytes.count, classes.baseAddress!, transitions.baseAddress!, limit: min(maxDepth, depthLimit),
                    insideArray: insideArray)
            }
        }
    }

    private static func run(_ base: UnsafePointer<UInt8>, _ count: Int, _ classes: UnsafePointer<UInt8>,
                            _ transitions: UnsafePointer<UInt16>, limit: Int, insideArray: Bool) -> Bool {
        // The table holds each next state as the offset of its row, so one add finds the entry.
        var row = Int(State.value) &* Tables.width
        // Inside an array, a value comes first, as after a comma: the array is level 1.
        var depth = insideArray ? 1 : 0
        if depth > limit { return false }
        var objects: UInt64 = 0   // bit d - 1 set when the container at depth d is an object
        var byte = base
        let end = base + count
        while byte < end {
            let next = transitions[row &+ Int(classes[Int(byte.pointee)])]
            byte += 1
            if next < Tables.actionBit {
                row = Int(next)
                continue
            }
            let action = UInt8(truncatingIfNeeded: next)
            switch action {
            case Action.openObject, Action.openArray:
                depth += 1
                guard depth <= limit else { return false }
                let bit: UInt64 = 1 &<< UInt64(depth - 1)
                if action == Action.openObject {
                    objects |= bit
                    row = Int(State.keyOrClose) &* Tables.width
                } else {
                    objects &= ~bit
                    row = Int(State.valueOrClose) &* Tables.width
                }
            case Action.closeObject, Action.closeArray:
                guard depth > 0, (objects &>> UInt64(depth - 1) & 1 == 1) == (action == Action.closeObject) else { return false }
                depth -= 1
                row = Int(State.afterValue) &* Tables.width
            case Action.comma:
                guard depth > 0 else { return false }
                row = Int(objects &>> UInt64(depth - 1) & 1 == 1 ? State.key : State.value) &* Tables.width
            default:
                return false
            }
        }
        return depth == 0 && Tables.isFinal(UInt8(row / Tables.width))
    }

    // MARK: The grammar as a table

    /// Byte classes.
    private enum Class {
        static let other: UInt8 = 0, space: UInt8 = 1, quote: UInt8 = 2, backslash: UInt8 = 3
        static let openBrace: UInt8 = 4, closeBrace: UInt8 = 5, openBracket: UInt8 = 6, closeBracket: UInt8 = 7
        static let colon: UInt8 = 8, comma: UInt8 = 9, minus: UInt8 = 10, zero: UInt8 = 11, digit: UInt8 = 12
        static let dot: UInt8 = 13, lowerE: UInt8 = 14, upperE: UInt8 = 15, plus: UInt8 = 16
        static let t: UInt8 = 17, r: UInt8 = 18, u: UInt8 = 19, f: UInt8 = 20, a: UInt8 = 21, l: UInt8 = 22
        static let s: UInt8 = 23, n: UInt8 = 24, control: UInt8 = 25, nonASCII: UInt8 = 26, b: UInt8 = 27, slash: UInt8 = 28
        /// Tab, line feed, carriage return: white space between tokens, refused inside strings.
        static let controlSpace: UInt8 = 29
        static let count = 30
    }

    /// States (below ``Action/first``).
    private enum State {
        static let value: UInt8 = 1, valueOrClose: UInt8 = 2, key: UInt8 = 3, keyOrClose: UInt8 = 4
        static let colon: UInt8 = 5, afterValue: UInt8 = 6
        static let string: UInt8 = 7, stringEscape: UInt8 = 8, keyString: UInt8 = 9, keyEscape: UInt8 = 10
        static let minus: UInt8 = 11, zero: UInt8 = 12, integer: UInt8 = 13, dot: UInt8 = 14, fraction: UInt8 = 15
        static let exponentMark: UInt8 = 16, exponentSign: UInt8 = 17, exponent: UInt8 = 18
        static let tr: UInt8 = 19, tru: UInt8 = 20, truE: UInt8 = 21
        static let fa: UInt8 = 22, fal: UInt8 = 23, fals: UInt8 = 24, falsE: UInt8 = 25
        static let nu: UInt8 = 26, nul: UInt8 = 27, nulL: UInt8 = 28
        static let count = 29
    }

    /// Transitions that need the nesting, or end the check.
    private enum Action {
        static let first: UInt8 = 64
        static let openObject: UInt8 = 64, openArray: UInt8 = 65, closeObject: UInt8 = 66, closeArray: UInt8 = 67
        static let comma: UInt8 = 68, fail: UInt8 = 255
    }

    private struct Tables: Sendable {
        static let width = 32
        /// Set in a transition that is an action (its low byte); clear in a row offset.
        static let actionBit: UInt16 = 0x8000
        let classes: [UInt8]
        let transitions: [UInt16]

        static func isFinal(_ state: UInt8) -> Bool {
            state == State.afterValue || state == State.zero || state == State.integer || state == State.fraction
                || state == State.exponent
        }
    }

    private static let tables = makeTables()

    private static func makeTables() -> Tables {
        var classes = [UInt8](repeating: Class.other, count: 256)
        for byte in 0..<0x20 { classes[byte] = Class.control }
        for byte in 0x80..<0x100 { classes[byte] = Class.nonASCII }
        let named: [(Character, UInt8)] = [
            (" ", Class.space), ("\t", Class.controlSpace), ("\n", Class.controlSpace), ("\r", Class.controlSpace), ("\"", Class.quote),
            ("\\", Class.backslash), ("{", Class.openBrace), ("}", Class.closeBrace), ("[", Class.openBracket),
            ("]", Class.closeBracket), (":", Class.colon), (",", Class.comma), ("-", Class.minus), ("0", Class.zero),
            (".", Class.dot), ("e", Class.lowerE), ("E", Class.upperE), ("+", Class.plus), ("t", Class.t), ("r", Class.r),
            ("u", Class.u), ("f", Class.f), ("a", Class.a), ("l", Class.l), ("s", Class.s), ("n", Class.n),
            ("b", Class.b), ("/", Class.slash),
        ]
        for (character, kind) in named { classes[Int(character.asciiValue!)] = kind }
        for digit in UInt8(ascii: "1")...UInt8(ascii: "9") { classes[Int(digit)] = Class.digit }

        var table = [UInt8](repeating: Action.fail, count: Tables.width * (State.count + 1))
        func set(_ state: UInt8, _ kinds: [UInt8], _ next: UInt8) {
            for kind in kinds { table[Int(state) * Tables.width + Int(kind)] = next }
        }
        let allASCII = (0..<UInt8(Class.count)).filter { $0 != Class.control && $0 != Class.nonASCII && $0 != Class.controlSpace }
        let space = [Class.space, Class.controlSpace]
        // Where a value may start.
        for state in [State.value, State.valueOrClose] {
            set(state, space, state)
            set(state, [Class.quote], State.string)
            set(state, [Class.openBrace], Action.openObject)
            set(state, [Class.openBracket], Action.openArray)
            set(state, [Class.minus], State.minus)
            set(state, [Class.zero], State.zero)
            set(state, [Class.digit], State.integer)
            set(state, [Class.t], State.tr)
            set(state, [Class.f], State.fa)
            set(state, [Class.n], State.nu)
        }
        set(State.valueOrClose, [Class.closeBracket], Action.closeArray)
        // Keys and their colons.
        for state in [State.key, State.keyOrClose] {
            set(state, space, state)
            set(state, [Class.quote], State.keyString)
        }
        set(State.keyOrClose, [Class.closeBrace], Action.closeObject)
        set(State.colon, space, State.colon)
        set(State.colon, [Class.colon], State.value)
        // After a value; a number or a literal ends where one of these follows.
        func endsValue(_ state: UInt8) {
            set(state, space, State.afterValue)
            set(state, [Class.comma], Action.comma)
            set(state, [Class.closeBrace], Action.closeObject)
            set(state, [Class.closeBracket], Action.closeArray)
        }
        endsValue(State.afterValue)
        // Strings: printable ASCII, and the escapes that stand for one character.
        let escapes = [Class.quote, Class.backslash, Class.slash, Class.b, Class.f, Class.n, Class.r, Class.t]
        for (inside, escape, after) in [(State.string, State.stringEscape, State.afterValue), (State.keyString, State.keyEscape, State.colon)] {
            set(inside, allASCII, inside)
            set(inside, [Class.quote], after)
            set(inside, [Class.backslash], escape)
            set(escape, escapes, inside)
        }
        // Numbers: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
        set(State.minus, [Class.zero], State.zero)
        set(State.minus, [Class.digit], State.integer)
        for state in [State.zero, State.integer] {
            set(state, [Class.dot], State.dot)
            set(state, [Class.lowerE, Class.upperE], State.exponentMark)
            endsValue(state)
        }
        set(State.integer, [Class.zero, Class.digit], State.integer)
        set(State.dot, [Class.zero, Class.digit], State.fraction)
        set(State.fraction, [Class.zero, Class.digit], State.fraction)
        set(State.fraction, [Class.lowerE, Class.upperE], State.exponentMark)
        endsValue(State.fraction)
        set(State.exponentMark, [Class.plus, Class.minus], State.exponentSign)
        set(State.exponentMark, [Class.zero, Class.digit], State.exponent)
        set(State.exponentSign, [Class.zero, Class.digit], State.exponent)
        set(State.exponent, [Class.zero, Class.digit], State.exponent)
        endsValue(State.exponent)
        // Literals, letter by letter; the last letter ends the value.
        set(State.tr, [Class.r], State.tru)
        set(State.tru, [Class.u], State.truE)
        set(State.truE, [Class.lowerE], State.afterValue)
        set(State.fa, [Class.a], State.fal)
        set(State.fal, [Class.l], State.fals)
        set(State.fals, [Class.s], State.falsE)
        set(State.falsE, [Class.lowerE], State.afterValue)
        set(State.nu, [Class.u], State.nul)
        set(State.nul, [Class.l], State.nulL)
        set(State.nulL, [Class.l], State.afterValue)
        let transitions = table.map { next in next >= Action.first ? Tables.actionBit | UInt16(next) : UInt16(next) * UInt16(Tables.width) }
        return Tables(classes: classes, transitions: transitions)
    }
}
