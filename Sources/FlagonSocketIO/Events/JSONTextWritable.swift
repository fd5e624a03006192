import FlagonJSON

/// A value that writes itself as JSON text, so that an ack carrying it is written straight
/// into the packet (no ``JSONValue`` tree, no encoder). The JSON scalars, optionals, arrays
/// and `[String: T]` dictionaries of them, ``JSONValue`` and every `@EventPayload` struct
/// conform; you do not implement it by hand.
public protocol JSONTextWritable: JSONConvertible {
    /// Appends the value's JSON text to `out`; `false` when the value has no text form (binary
    /// data, a number JSON cannot spell), and then what was appended is dropped by the caller.
    func _writeJSONText(into out: inout [UInt8]) -> Bool
}

extension JSONTextWritable {
    /// The ack's text: the one argument, written directly.
    @inlinable
    public func _ackText() -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        return _writeJSONText(into: &out) ? out : nil
    }
}

extension Int: JSONTextWritable {
    public func _writeJSONText(into out: inout [UInt8]) -> Bool {
        JSONSerializer.writeInt(self, into: &out)
        return true
    }
}

extension UInt8: JSONTextWritable {
    public func _writeJSONText(into out: inout [UInt8]) -> Bool { Int(self)._writeJSONText(into: &out) }
}

extension Double: JSONTextWritable {
    public func _writeJSONText(into out: inout [UInt8]) -> Bool {
        do { try JSONSerializer.writeDouble(self, into: &out) } catch { return false }
        return true
    }
}

extension Bool: JSONTextWritable {
    public func _writeJSONText(into out: inout [UInt8]) -> Bool {
        out.append(contentsOf: self ? "true".utf8 : "false".utf8)
        return true
    }
}

extension String: JSONTextWritable {
    public func _writeJSONText(into out: inout [UInt8]) -> Bool {
        JSONSerializer.writeString(self, into: &out)
        return true
    }
}

extension JSONValue: JSONTextWritable {
    public func _writeJSONText(into out: inout [UInt8]) -> Bool {
        do { try JSONSerializer.write(self, into: &out) } catch { return false }
        return true
    }
}

extension Optional: JSONTextWritable where Wrapped: JSONTextWritable {
    public func _writeJSONText(into out: inout [UInt8]) -> Bool {
        guard let self else {
            out.append(contentsOf: "null".utf8)
            return true
        }
        return self._writeJSONText(into: &out)
    }
}

extension Array: JSONTextWritable where Element: JSONTextWritable {
    /// `[UInt8]` is binary data, which has no text form.
    public func _writeJSONText(into out: inout [UInt8]) -> Bool {
        if Element.self == UInt8.self { return false }
        out.append(UInt8(ascii: "["))
        for (index, element) in enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            guard element._writeJSONText(into: &out) else { return false }
        }
        out.append(UInt8(ascii: "]"))
        return true
    }
}

extension Dictionary: JSONTextWritable where Key == String, Value: JSONTextWritable {
    /// An object, its keys sorted, as ``jsonValue()`` writes it.
    public func _writeJSONText(into out: inout [UInt8]) -> Bool {
        out.append(UInt8(ascii: "{"))
        for (index, key) in keys.sorted().enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONSerializer.writeString(key, into: &out)
            out.append(UInt8(ascii: ":"))
            guard self[key]!._writeJSONText(into: &out) else { return false }
        }
        out.append(UInt8(ascii: "}"))
        return true
    }
}

extension Array where Element == UInt8 {
    /// Appends a literal's UTF-8 bytes (the keys of generated writers).
    @inlinable
    public mutating func _appendJSONLiteral(_ literal: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }
}
