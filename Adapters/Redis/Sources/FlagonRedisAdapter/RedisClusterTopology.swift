/// A node of a Redis Cluster: where it listens.
public struct RedisClusterNode: Hashable, Sendable, CustomStringConvertible {
    /// Its IP address or name, as the cluster announces it.
    public var host: String
    /// Its port.
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port` (`[host]:port` for IPv6).
    public var description: String { (host.contains(":") ? "[\(host)]" : host) + ":\(port)" }
}

/// Which node of a Redis Cluster serves each of its 16,384 hash slots (sans-IO), read from
/// `CLUSTER SLOTS`; and the slot of a key.
///
/// ```swift
/// let topology = try RedisClusterTopology(slotsReply: reply, askedNode: seed)
/// topology.primary(forSlot: RedisClusterTopology.slot(of: Array("socket.io#/#".utf8)))
/// ```
public struct RedisClusterTopology: Sendable, Equatable {
    /// Slots of a Redis Cluster.
    public static let slotCount = 16_384

    /// Why a `CLUSTER SLOTS` reply could not be read.
    public struct Invalid: Error, Sendable, Equatable {
        public var why: String
    }

    /// The primaries, in the order the reply names them.
    public private(set) var primaries: [RedisClusterNode] = []
    /// Every node the reply names: primaries and replicas.
    public private(set) var nodes: [RedisClusterNode] = []
    /// For each slot, the index in ``primaries`` of its owner; -1 for none.
    private var owners: [Int16]

    /// An empty topology: no slot has an owner.
    public init() {
        owners = Array(repeating: -1, count: Self.slotCount)
    }

    /// Reads `CLUSTER SLOTS`: `[[start, end, [host, port, id, …], replica…], …]`. A node
    /// announced with an empty host is the one that was asked (`askedNode`); a node whose
    /// endpoint is unknown (`?`) is left out.
    public init(slotsReply reply: RESPValue, askedNode: RedisClusterNode) throws(Invalid) {
        self.init()
        guard let ranges = reply.elements else { throw Invalid(why: "CLUSTER SLOTS did not answer an array") }
        var seen: Set<RedisClusterNode> = []
        for range in ranges {
            guard let parts = range.elements, parts.count >= 3, let start = parts[0].integer, let end = parts[1].integer,
                  0 <= start, start <= end, end < Int64(Self.slotCount)
            else { throw Invalid(why: "a slot range is not [start, end, node, …] within 0…16383") }
            // The first node is the primary; `nil` where the endpoint is unknown.
            var rangeNodes: [RedisClusterNode?] = []
            for part in parts[2...] {
                guard let fields = part.elements, fields.count >= 2, let host = fields[0].text, let port = fields[1].integer,
                      (1...65535).contains(port)
                else { throw Invalid(why: "a node is not [host, port, …]") }
                rangeNodes.append(host == "?" ? nil : RedisClusterNode(host: host.isEmpty ? askedNode.host : host, port: Int(port)))
            }
            for case let node? in rangeNodes where seen.insert(node).inserted { nodes.append(node) }
            guard let primary = rangeNodes[0] else { continue }
            let index: Int
            if let known = primaries.firstIndex(of: primary) {
                index = known
            } else {
                guard primaries.count < Int(Int16.max) else { throw Invalid(why: "too many primaries") }
                primaries.append(primary)
                index = primaries.count - 1
            }
            for slot in Int(start)...Int(end) { owners[slot] = Int16(index) }
        }
    }

    /// The primary that serves `slot`, if the cluster named one.
    public func primary(forSlot slot: Int) -> RedisClusterNode? {
        guard slot >= 0, slot < Self.slotCount else { return nil }
        let index = owners[slot]
        return index < 0 ? nil : primaries[Int(index)]
    }

    /// Slots that no primary serves.
    public var unservedSlotCount: Int { owners.lazy.filter { $0 < 0 }.count }

    /// Takes `node` as the owner of `slot` (what a `MOVED` says) until the next refresh.
    public mutating func assign(slot: Int, to node: RedisClusterNode) {
        guard slot >= 0, slot < Self.slotCount else { return }
        if let index = primaries.firstIndex(of: node) {
            owners[slot] = Int16(index)
        } else if primaries.count < Int(Int16.max) {
            primaries.append(node)
            if !nodes.contains(node) { nodes.append(node) }
            owners[slot] = Int16(primaries.count - 1)
        }
    }

    // MARK: Slots of keys

    /// The slot of a key: CRC16 (XMODEM) of the key, or of its hash tag (the text between
    /// the first `{` and the next `}` when not empty), modulo 16,384.
    public static func slot(of key: some Collection<UInt8>) -> Int {
        if let open = key.firstIndex(of: UInt8(ascii: "{")) {
            let afterOpen = key.index(after: open)
            if let close = key[afterOpen...].firstIndex(of: UInt8(ascii: "}")), close != afterOpen {
                return Int(crc16(key[afterOpen..<close]) % UInt16(slotCount))
            }
        }
        return Int(crc16(key) % UInt16(slotCount))
    }

    /// The slot of a text key.
    public static func slot(of key: String) -> Int { slot(of: key.utf8) }

    private static let crcTable: [UInt16] = (0..<256).map { byte in
        var crc = UInt16(byte) << 8
        for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        return crc
    }

    private static func crc16(_ bytes: some Collection<UInt8>) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes { crc = (crc << 8) ^ crcTable[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ byte)] }
        return crc
    }
}

/// A redirection from a Redis Cluster node (sans-IO): `MOVED` (the slot lives elsewhere now)
/// or `ASK` (it is migrating: ask the other node once, after `ASKING`).
public enum RedisClusterRedirect: Sendable, Equatable {
    case moved(slot: Int, to: RedisClusterNode)
    case ask(slot: Int, to: RedisClusterNode)

    /// Reads an error reply such as `MOVED 3999 127.0.0.1:6381`; `nil` for any other error.
    /// An empty host (`MOVED 3999 :6381`) means the host of the node that answered.
    public init?(error: String, from answering: RedisClusterNode) {
        let parts = error.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 3, let slot = Int(parts[1]), slot >= 0, slot < RedisClusterTopology.slotCount,
              let colon = parts[2].lastIndex(of: ":"), let port = Int(parts[2][parts[2].index(after: colon)...]),
              (1...65535).contains(port)
        else { return nil }
        var host = String(parts[2][..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = answering.host }
        let node = RedisClusterNode(host: host, port: port)
        switch parts[0] {
        case "MOVED": self = .moved(slot: slot, to: node)
        case "ASK": self = .ask(slot: slot, to: node)
        default: return nil
        }
    }

    /// The node to ask.
    public var node: RedisClusterNode {
        switch self {
        case .moved(_, let node), .ask(_, let node): node
        }
    }
}
