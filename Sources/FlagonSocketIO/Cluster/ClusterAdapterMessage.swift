import FlagonJSON
import FlagonMessagePack
import FlagonSocketIOCore

/// The request types of `@socket.io/redis-adapter` (its numbering).
public enum ClusterRequestType: Int, Sendable, CaseIterable {
    case sockets = 0
    case allRooms = 1
    case remoteJoin = 2
    case remoteLeave = 3
    case remoteDisconnect = 4
    case remoteFetch = 5
    case serverSideEmit = 6
    case broadcast = 7
    case broadcastClientCount = 8
    case broadcastAck = 9
}

/// A request or a response between servers, as `@socket.io/redis-adapter` publishes them:
/// JSON text for most (`{"uid":…,"requestId":…,"type":2,…}`), MessagePack for those that
/// carry a packet (`BROADCAST`, `BROADCAST_ACK`). A message whose first byte is `{` is JSON,
/// anything else MessagePack, as the Node adapter decides. Fields are kept in their order.
///
/// ```swift
/// let message = try ClusterAdapterMessage.decode(bytes)
/// if message.type == .remoteJoin, let rooms = message.fields["rooms"] { ... }
/// ```
public struct ClusterAdapterMessage: Sendable, Equatable {
    /// The fields, in order.
    public var fields: JSONObject

    /// A message of these fields.
    public init(_ fields: JSONObject) { self.fields = fields }

    /// The request type (responses other than acks have none).
    public var type: ClusterRequestType? { fields["type"]?.intValue.flatMap(ClusterRequestType.init(rawValue:)) }
    /// The sending server's id.
    public var uid: String? { fields["uid"]?.stringValue }
    /// The request's id (requests that expect responses, and the responses).
    public var requestId: String? { fields["requestId"]?.stringValue }

    /// Reads a message: JSON when it starts with `{`, MessagePack otherwise; it must be an object.
    public static func decode(_ bytes: [UInt8]) throws(ClusterMessageError) -> ClusterAdapterMessage {
        var comparisons = 0
        return try decode(bytes, comparisons: &comparisons)
    }

    /// ``decode(_:)``, adding the key comparisons a MessagePack message's maps made to
    /// `comparisons` (for tests that count work; JSON objects are built by the same
    /// ``JSONObject/Builder``).
    static func decode(_ bytes: [UInt8], comparisons: inout Int) throws(ClusterMessageError) -> ClusterAdapterMessage {
        let value: JSONValue
        if bytes.first == UInt8(ascii: "{") {
            do {
                value = try JSONValue.parse(bytes)
            } catch {
                throw ClusterMessageError("invalid JSON: \(error)")
            }
        } else {
            do {
                value = try JSONValue.converting(MessagePackReader.decode(bytes), comparisons: &comparisons)
            } catch let error as MessagePackError {
                throw ClusterMessageError("not MessagePack: \(error.message)")
            } catch {
                throw ClusterMessageError("\(error)")
            }
        }
        guard case .object(let fields) = value else { throw ClusterMessageError("a request or response is an object") }
        return ClusterAdapterMessage(fields)
    }

    /// The message as JSON text (what Node writes with `JSON.stringify`).
    public func encodedJSON() -> [UInt8] { Array(JSONValue.object(fields).jsonString.utf8) }

    /// The message as MessagePack (for the messages that carry packets, and binary).
    public func encodedMessagePack() -> [UInt8] { MessagePackWriter.encode(MessagePackValue(json: .object(fields))) }
}
