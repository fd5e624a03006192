/// Writes compact JSON (no spaces), as JavaScript's `JSON.stringify` does: non-ASCII
/// characters as UTF-8, the escapes `\" \\ \b \f \n \r \t` and `\u00XX` for other
/// control characters, integers without a fraction, doubles in ECMAScript's shortest form.
public struct JSONSerializer {
    /// What to do with binary values, which JSON cannot hold.
    public enum BinaryHandling {
        /// Throw ``JSONError/binaryNotAllowed``.
        case refuse
        /// Write `null`.
        case null
        /// Write Socket.IO placeholders `{"_placeholder":true,"num":<n>}` and collect the
        /// bytes, in order, into the array pointed to.
        case placeholders(UnsafeMutablePointer<[[UInt8]]>)
    }

    /// Appends the JSON text of `value` to `out`.
    public static func write(_ value: JSONValue, into out: inout [UInt8], binary: BinaryHandling = .refuse) throws(JSONError) {
        switch value {
        case .null: out.append(contentsOf: [110, 117, 108, 108])
        case .bool(let b): out.append(contentsOf: b ? [116, 114, 117, 101] : [102, 97, 108, 115, 101])
        case .int(let i): writeInt(i, into: &out)
        case .double(let d): try writeDouble(d, into: &out)
        case .largeNumber(let text): out.append(contentsOf: text.utf8)
        case .string(let s): writeString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            var first = true
            for item in items {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                try write(item, into: &out, binary: binary)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            var first = true
            for member in object {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                try write(member.value, into: &out, binary: binary)
            }
            out.append(UInt8(ascii: "}"))
        case .binary(let bytes):
            switch binary {
            case .refuse:
                throw .binaryNotAllowed
            case .null:
                out.append(contentsOf: [110, 117, 108, 108])
            case .placeholders(let attachments):
                out.append(contentsOf: #"{"_placeholder":true,"num":"#.utf8)
                writeInt(attachments.pointee.count, into: &out)
                out.append(UInt8(ascii: "}"))
                attachments.pointee.append(bytes)
            }
        }
    }

    /// Appends a decimal integer.
    public static func writeInt(_ value: Int, into out: inout [UInt8]) {
        if value >= 0 && value < 10 {
            out.append(UInt8(48 + value))
            return
        }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)   // 24 bytes of scratch
        var count = 0
        withUnsafeMutableBytes(of: &digits) { raw in
            repeat {
                raw[23 - count] = UInt8(48 + magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            if value < 0 { out.append(UInt8(ascii: "-")) }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[(24 - count)...]))
        }
    }

    /// Appends a JSON string literal.
    public static func writeString(_ string: String, into out: inout [UInt8]) {
        out.append(34)
        var string = string
        string.withUTF8 { utf8 in
            var runStart = 0
            var at = firstStop(utf8, from: 0)
            while true {
                if at > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<at])) }
                guard at < utf8.count else { break }
                var escape: UInt64 = 0   // eight bytes of room for the longest escape, six
                withUnsafeMutableBytes(of: &escape) { room in
                    let end = writeEscape(utf8[at], at: room.baseAddress!)
                    out.append(contentsOf: UnsafeRawBufferPointer(rebasing: room[..<(end - room.baseAddress!)]))
                }
                runStart = at + 1
                at = firstStop(utf8, from: runStart)
            }
        }
        out.append(34)
    }

    /// Appends a double as ECMAScript's `Number.prototype.toString` writes it.
    public static func writeDouble(_ value: Double, into out: inout [UInt8]) throws(JSONError) {
        guard value.isFinite else { throw .nonFiniteNumber }
        if value == 0 { out.append(48); return }
        if value.rounded() == value && abs(value) < 1e15 {
            writeInt(Int(value), into: &out)
            return
        }
        // Swift's description gives the shortest round-tripping digits; rewrite its layout.
        let text = value.magnitude.description
        var digits: [UInt8] = []
        var pointPosition: Int?
        var exponent = 0
        var parts = text.split(separator: "e")
        if parts.count == 2 { exponent = Int(parts[1]) ?? 0 } else { parts = [parts[0]] }
        for byte in parts[0].utf8 {
            if byte == UInt8(ascii: ".") { pointPosition = digits.count } else { digits.append(byte) }
        }
        var n = (pointPosition ?? digits.count) + exponent   // decimal exponent: value = 0.digits × 10^n
        while digits.count > 1 && digits.first == 48 {
            digits.removeFirst()
            n -= 1
        }
        while digits.count > 1 && digits.last == 48 { digits.removeLast() }
        let k = digits.count
        if value < 0 { out.append(UInt8(ascii: "-")) }
        if k <= n && n <= 21 {
            out.append(contentsOf: digits)
            out.append(contentsOf: repeatElement(48, count: n - k))
        } else if 0 < n && n <= 21 {
            out.append(contentsOf: digits[0..<n])
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: digits[n...])
        } else if -6 < n && n <= 0 {
            out.append(contentsOf: [48, UInt8(ascii: ".")])
            out.append(contentsOf: repeatElement(48, count: -n))
            out.append(contentsOf: digits)
        } else {
            out.append(digits[0])
            if k > 1 {
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: digits[1...])
            }
            out.append(UInt8(ascii: "e"))
            out.append(UInt8(ascii: n - 1 >= 0 ? "+" : "-"))
            writeInt(abs(n - 1), into: &out)
        }
    }
}

extension JSONValue {
    /// The compact JSON text as UTF-8 bytes. Binary values and non-finite doubles throw.
    ///
    /// ```swift
    /// try JSONValue(["a": 1]).serialized()   // Array(#"{"a":1}"#.utf8)
    /// ```
    public func serialized() throws(JSONError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        try JSONSerializer.write(self, into: &out)
        return out
    }

    /// The compact JSON text; binary values and non-finite numbers are written as `null`.
    public var jsonString: String {
        var out: [UInt8] = []
        do {
            try JSONSerializer.write(self, into: &out, binary: .null)
        } catch {
            return "null"
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension JSONValue: CustomStringConvertible {
    public var description: String { jsonString }
}
