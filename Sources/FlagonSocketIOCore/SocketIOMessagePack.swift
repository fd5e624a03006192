import FlagonJSON
import FlagonMessagePack

/// Socket.IO packets as MessagePack maps, as `socket.io-msgpack-parser` and
/// `@socket.io/redis-adapter` write them with notepack.io: `{"type", "data", "nsp", "id"}`
/// (`data` and `id` left out when absent), binary as `bin` within the data (no attachments:
/// events and acks keep types 2 and 3 even with binary arguments).
///
/// ```swift
/// let packet = SocketIOPacket(type: .event, namespace: "/chat", data: ["say", "hi"])
/// packet.messagePackValue   // {"type": 2, "data": ["say", "hi"], "nsp": "/chat"}
/// ```
extension SocketIOPacket {
    /// The packet as a MessagePack map.
    public var messagePackValue: MessagePackValue {
        let type: SocketIOPacketType = switch self.type {
        case .binaryEvent: .event
        case .binaryAck: .ack
        default: self.type
        }
        var map: MessagePackMap = ["type": .int(Int64(type.rawValue))]
        if let data { map["data"] = MessagePackValue(json: data) }
        map["nsp"] = .string(namespace)
        if let id { map["id"] = .int(Int64(id)) }
        return .map(map)
    }

    /// Reads a packet from a MessagePack map, with the checks `socket.io-msgpack-parser`
    /// makes: a string namespace, an integer id if any, and data that fits the type (an
    /// object or nothing for CONNECT, nothing for DISCONNECT, an array starting with the
    /// event's name for EVENT, an array for ACK, an object for CONNECT_ERROR).
    public init(messagePack value: MessagePackValue) throws(SocketIOProtocolError) {
        guard case .map(let map) = value else { throw .invalidPayload("a packet is a map") }
        // Types 0 to 4 only: this format has no binary types (no attachments).
        guard let rawType = map["type"]?.intValue, (0...4).contains(rawType),
              let type = SocketIOPacketType(rawValue: UInt8(rawType)) else { throw .unknownPacketType }
        guard case .string(let namespace)? = map["nsp"], namespace.hasPrefix("/") else { throw .invalidNamespace }
        var id: Int?
        if let rawID = map["id"], !rawID.isNil {
            guard let number = rawID.intValue, number >= 0 else { throw .invalidAckID }
            id = number
        }
        var data: JSONValue?
        if let raw = map["data"], !raw.isNil {
            do {
                data = try JSONValue(messagePack: raw)
            } catch {
                throw .invalidPayload(error.message)
            }
        }
        switch (type, data) {
        case (.connect, nil), (.connect, .object?), (.disconnect, nil), (.connectError, .object?), (.ack, .array?): break
        case (.event, .array(let items)?) where items.first?.stringValue != nil: break
        default: throw .invalidPayload("data does not fit a packet of type \(rawType)")
        }
        self.init(type: type, namespace: namespace, id: id, data: data)
    }
}

/// Why a MessagePack value has no JSON equivalent.
public struct MessagePackConversionError: Error, Sendable, Equatable {
    /// What has no equivalent.
    public var message: String
}

extension MessagePackValue {
    /// A JSON value as notepack.io writes the JavaScript value it stands for: integral
    /// numbers as integers (JavaScript has one number type), others as float 64, binary as
    /// `bin`, objects as maps in their order.
    public init(json: JSONValue) {
        switch json {
        case .null: self = .nil
        case .bool(let flag): self = .bool(flag)
        case .int(let integer): self = .int(Int64(integer))
        case .double(let number):
            if number.isFinite, number.rounded() == number, let integer = Int64(exactly: number) {
                self = .int(integer)
            } else {
                self = .double(number)
            }
        case .largeNumber(let text):
            if let integer = Int64(text) {
                self = .int(integer)
            } else if let unsigned = UInt64(text) {
                self = .uint(unsigned)
            } else {
                self = MessagePackValue(json: .double(Double(text) ?? .nan))
            }
        case .string(let text): self = .string(text)
        case .binary(let bytes): self = .binary(bytes)
        case .array(let items): self = .array(items.map(MessagePackValue.init(json:)))
        case .object(let object):
            self = .map(MessagePackMap(object.map { MessagePackMap.Entry(key: .string($0.key), value: MessagePackValue(json: $0.value)) }))
        }
    }
}

extension JSONValue {
    /// The JSON value of a MessagePack value: maps need string keys; a float 32 becomes a
    /// double; extensions (notepack's dates) have no JSON equivalent. A map's repeated key
    /// keeps its last value at its first place, in time linear in the map's size whatever
    /// its keys (``JSONObject/Builder``).
    public init(messagePack value: MessagePackValue) throws(MessagePackConversionError) {
        var comparisons = 0
        self = try Self.converting(value, comparisons: &comparisons)
    }

    /// ``init(messagePack:)``, adding the key comparisons its maps made to `comparisons`
    /// (for tests that count work).
    package static func converting(_ value: MessagePackValue, comparisons: inout Int) throws(MessagePackConversionError) -> JSONValue {
        switch value {
        case .nil: return .null
        case .bool(let flag): return .bool(flag)
        case .int(let integer): return Int(exactly: integer).map(JSONValue.int) ?? .largeNumber(String(integer))
        case .uint(let integer): return .largeNumber(String(integer))
        case .float(let number): return .double(Double(number))
        case .double(let number): return .double(number)
        case .string(let text): return .string(text)
        case .binary(let bytes): return .binary(bytes)
        case .array(let items):
            var values: [JSONValue] = []
            values.reserveCapacity(items.count)
            for item in items { values.append(try converting(item, comparisons: &comparisons)) }
            return .array(values)
        case .map(let map):
            var object = JSONObject.Builder(capacity: map.count)
            for entry in map.entries {
                guard case .string(let key) = entry.key else {
                    throw MessagePackConversionError(message: "a map key that is not a string")
                }
                object.add(key, try converting(entry.value, comparisons: &comparisons))
            }
            comparisons += object.comparisons
            return .object(object.object)
        case .extension(let type, _):
            throw MessagePackConversionError(message: "extension type \(type) has no JSON equivalent")
        }
    }
}
