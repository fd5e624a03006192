import FlagonJSON
import FlagonMessagePack
import FlagonSocketIOCore

/// A broadcast as `@socket.io/redis-adapter` publishes it: `msgpack([uid, packet, opts])`
/// with `opts = {rooms, except, flags}`, on the namespace's channel, or on the room's
/// channel when it targets exactly one room.
///
/// ```swift
/// let message = ClusterBroadcast(uid: "Fz3Ch9", packet: packet, rooms: ["lobby"])
/// publish(message.channel(in: channels), message.encoded())
/// ```
public struct ClusterBroadcast: Sendable, Equatable {
    /// The publishing server's id (a server ignores its own broadcasts).
    public var uid: String
    /// The packet, its namespace included.
    public var packet: SocketIOPacket
    /// The rooms targeted (none: everyone in the namespace).
    public var rooms: [String]
    /// The rooms excluded (a sender's own id to leave it out).
    public var except: [String]
    /// The flags (`volatile`, `compress`, `local`, `timeout`...), as sent.
    public var flags: MessagePackMap

    /// A broadcast.
    public init(uid: String, packet: SocketIOPacket, rooms: [String] = [], except: [String] = [], flags: MessagePackMap = [:]) {
        self.uid = uid
        self.packet = packet
        self.rooms = rooms
        self.except = except
        self.flags = flags
    }

    /// The channel to publish on: the room's when exactly one room is targeted.
    public func channel(in channels: ClusterChannels) -> String {
        rooms.count == 1 ? channels.room(rooms[0]) : channels.broadcast
    }

    /// The MessagePack bytes.
    public func encoded() -> [UInt8] {
        let options: MessagePackValue = [
            "rooms": .array(rooms.map(MessagePackValue.string)),
            "except": .array(except.map(MessagePackValue.string)),
            "flags": .map(flags),
        ]
        return MessagePackWriter.encode(.array([.string(uid), packet.messagePackValue, options]))
    }

    /// Reads a broadcast; anything that is not one is an error (the caller counts and ignores it).
    /// A packet without a namespace is in `/`, as Node's adapter reads it; room names that are
    /// numbers (Node allows them) become their decimal text.
    public static func decode(_ bytes: [UInt8]) throws(ClusterMessageError) -> ClusterBroadcast {
        let value: MessagePackValue
        do {
            value = try MessagePackReader.decode(bytes)
        } catch {
            throw ClusterMessageError("not MessagePack: \(error.message)")
        }
        guard case .array(let parts) = value, parts.count == 3, case .string(let uid) = parts[0],
              case .map(var packetMap) = parts[1], case .map(let options) = parts[2]
        else { throw ClusterMessageError("a broadcast is [uid, packet, opts]") }
        if packetMap["nsp"] == nil { packetMap["nsp"] = "/" }
        let packet: SocketIOPacket
        do {
            packet = try SocketIOPacket(messagePack: .map(packetMap))
        } catch {
            throw ClusterMessageError("invalid packet: \(error)")
        }
        return ClusterBroadcast(
            uid: uid, packet: packet, rooms: try roomList(options["rooms"], "rooms"),
            except: try roomList(options["except"], "except"), flags: options["flags"]?.mapValue ?? [:])
    }

    /// A list of room names (absent: none).
    static func roomList(_ value: MessagePackValue?, _ name: String) throws(ClusterMessageError) -> [String] {
        guard let value, !value.isNil else { return [] }
        guard case .array(let items) = value else { throw ClusterMessageError("\(name) is not a list") }
        var rooms: [String] = []
        rooms.reserveCapacity(items.count)
        for item in items {
            switch item {
            case .string(let room): rooms.append(room)
            case .int(let number): rooms.append(String(number))
            default: throw ClusterMessageError("\(name) holds something that is not a room name")
            }
        }
        return rooms
    }
}

/// Why a message read from Redis was ignored.
public struct ClusterMessageError: Error, Sendable, Equatable {
    /// What was wrong with it.
    public var message: String

    /// An error.
    public init(_ message: String) { self.message = message }
}
