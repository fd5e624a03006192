import FlagonJSON

/// A value that writes itself as JSON text, so that an ack carrying it is written straight
/// into the packet (no ``JSONValue`` tree, no encoder). The JSON scalars, optionals, arrays
/// and `[String: T]` dictionaries of them, ``JSONValue`` and every `@EventPayload` struct
/// conform; you do not implement it by hand.
public protocol JSONTextWritable: JSONConvertible {
    /// Appends the value's JSON text to `out`; `false` when the value has no text form (binary
    /// data, a number JSON cannot spell), and then what was appended is dropped by the caller.
    func _writeJSONText(into out: inout [UInt8]) -> Bool

    /// The exact length in bytes of the value's text, when the type measures it without
    /// writing it (integers, `Bool`, `String`, optionals of them, `@EventPayload` structs
    /// whose members all do); `nil` otherwise. An ack so measured is written straight into
    /// its frame with ``_writeJSONText(at:)``.
    func _jsonTextLength() -> Int?

    /// Writes the value's text, exactly the ``_jsonTextLength()`` bytes measured, from
    /// `out`; returns where it ended.
    func _writeJSONText(at out: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer
}

extension JSONTextWritable {
    /// The ack's text: the one argument, written directly.
    @inlinable
    public func _writeAckText(into out: inout [UInt8]) -> Bool { _writeJSONText(into: &out) }

    /// The ack's measured length.
    @inlinable
    public func _ackTextLength() -> Int? { _jsonTextLength() }

    /// The ack's measured text.
    @inlinable
    public func _writeAckText(at out: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer { _writeJSONText(at: out) }

    /// Not measured.
    public func _jsonTextLength() -> Int? { nil }

    /// Written through an array: only for a type that does not measure its text, whose
    /// pointer writer is then never called.
    public func _writeJSONText(at out: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        var bytes: [UInt8] = []
        _ = _writeJSONText(into: &bytes)
        bytes.withUnsafeBytes { if let base = $0.baseAddress { out.copyMemory(from: base, byteCount: $0.count) } }
        return out + bytes.count
    }
}

extension Int: JSONTextWritable {
    public func _writeJSONText(into out: inout [UInt8]) -> Bool {
        JSONSerializer.writeInt(self, into: &out)
        return true
    }
    @inlinable public func _jsonTextLength() -> Int? { JSONSerializer.intTextLength(self) }
    @inlinable public func _writeJSONText(at out: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        JSONSerializer.writeInt(self, at: out)
    }
}

extension UInt8: JSONTextWritable {
    public func _writeJSONText(into out: inout [UInt8]) -> Bool { Int(self)._writeJSONText(into: &out) }
    public func _jsonTextLength() -> Int? { Int(self)._jsonTextLength() }
    public func _writeJSONText(at out: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer { Int(self)._writeJSONText(at: out) }
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
    public func _jsonTextLength() -> Int? { self ? 4 : 5 }
    public func _writeJSONText(at out: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        out._writeJSONLiteral(self ? "true" : "false")
    }
}

extension String: JSONTextWritable {
    public func _writeJSONText(into out: inout [UInt8]) -> Bool {
        JSONSerializer.writeString(self, into: &out)
        return true
    }
    @inlinable public func _jsonTextLength() -> Int? { JSONSerializer.stringTextLength(self) }
    @inlinable public func _writeJSONText(at out: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        JSONSerializer.writeString(self, at: out)
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
    @inlinable public func _jsonTextLength() -> Int? {
        guard let self else { return 4 }
        return self._jsonTextLength()
    }
    @inlinable public func _writeJSONText(at out: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        guard let self else { return out._writeJSONLiteral("null") }
        return self._writeJSONText(at: out)
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

extension UnsafeMutableRawPointer {
    /// Writes a literal's UTF-8 bytes here (the keys of generated writers); returns their end.
    @inlinable
    public func _writeJSONLiteral(_ literal: StaticString) -> UnsafeMutableRawPointer {
        copyMemory(from: literal.utf8Start, byteCount: literal.utf8CodeUnitCount)
        return self + literal.utf8CodeUnitCount
    }
}
