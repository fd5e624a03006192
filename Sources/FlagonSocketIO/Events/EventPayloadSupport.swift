import FlagonJSON

// What the code that `@EventPayload` generates calls: reading a struct's members from the
// event's text or from a value, with the errors that name the member. Flagon's, public only
// because generated code lives in the app's module.

extension JSONReader {
    /// The next member's index in `names` (-1 for another key); `nil` at the object's end.
    @inlinable
    public mutating func _payloadKey(_ names: JSONKeyNames, after previous: Int) throws(EventArgumentError) -> Int? {
        do { return try nextKeyIndex(names, after: previous) } catch { throw .invalidJSON(error) }
    }

    /// Steps over the value of a key the struct does not have.
    @inlinable
    public mutating func _payloadSkip() throws(EventArgumentError) {
        do { try skipValue() } catch { throw .invalidJSON(error) }
    }

    /// Reads member `key` of a `Payload`.
    @inlinable
    public mutating func _payloadMember<T: EventArgument, Payload>(
        _ type: T.Type, _ key: StaticString, of payload: Payload.Type
    ) throws(EventArgumentError) -> T {
        do {
            return try T._readArgument(from: &self)
        } catch {
            throw _payloadMemberError(error, key, payload)
        }
    }
}

/// Member `key` of a `Payload` read from a member's value.
@inlinable
public func _payloadMember<T: EventArgument, Payload>(
    _ type: T.Type, _ value: JSONValue, _ key: StaticString, of payload: Payload.Type
) throws(EventArgumentError) -> T {
    do {
        return try T._decodeArgument(from: value)
    } catch {
        throw _payloadMemberError(error, key, payload)
    }
}

/// The members of the object a `Payload` is read from.
@inlinable
public func _payloadObject<Payload>(_ value: JSONValue, of payload: Payload.Type) throws(EventArgumentError) -> JSONObject {
    guard let object = value.objectValue else { throw EventArgumentError("expected \(payload): expected an object, got \(value.kindName)") }
    return object
}

/// The error for a member that is missing.
public func _payloadMissing<Payload>(_ key: StaticString, of payload: Payload.Type) -> EventArgumentError {
    EventArgumentError("expected \(payload): missing key \"\(key)\"")
}

@usableFromInline
func _payloadMemberError<Payload>(_ error: EventArgumentError, _ key: StaticString, _ payload: Payload.Type) -> EventArgumentError {
    EventArgumentError("expected \(payload): \(error.message) at .\(key)")
}

extension JSONReader {
    /// The value at the reader when it is a scalar; an empty array or object (the value
    /// skipped) when it is one (``JSONReader/readLeaf()``), for the error that names it.
    @inlinable
    public mutating func _payloadLeaf() throws(EventArgumentError) -> JSONValue {
        do { return try readLeaf() } catch { throw .invalidJSON(error) }
    }
}
