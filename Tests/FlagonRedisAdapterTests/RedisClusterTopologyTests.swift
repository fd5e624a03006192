@testable import FlagonRedisAdapter
import Testing

/// The slot table and redirections of a Redis Cluster, from literal bytes.
@Suite struct RedisClusterTopologyTests {
    private let asked = RedisClusterNode(host: "10.0.0.1", port: 7000)

    private func reply(_ wire: String) throws -> RESPValue {
        var parser = RESPParser()
        parser.append(Array(wire.utf8))
        return try #require(try parser.next())
    }

    /// Slots as `CLUSTER KEYSLOT` gives them (redis-server 7), and the hash-tag rules.
    @Test func slotsOfKeysAndHashTags() {
        #expect(RedisClusterTopology.slot(of: "123456789") == 0x31C3 % 16_384)
        #expect(RedisClusterTopology.slot(of: "foo") == 12_182)
        #expect(RedisClusterTopology.slot(of: "a") == 15_495)
        #expect(RedisClusterTopology.slot(of: "abc") == 7_638)
        #expect(RedisClusterTopology.slot(of: "") == 0)
        #expect(RedisClusterTopology.slot(of: "{user1000}.following") == RedisClusterTopology.slot(of: "user1000"))
        #expect(RedisClusterTopology.slot(of: "foo{bar}{zap}") == RedisClusterTopology.slot(of: "bar"))
        #expect(RedisClusterTopology.slot(of: "foo{{bar}}zap") == RedisClusterTopology.slot(of: "{bar"))
        // An empty tag hashes the whole key.
        #expect(RedisClusterTopology.slot(of: "foo{}{bar}") != RedisClusterTopology.slot(of: "bar"))
    }

    /// What redis-server 7.0 answers for three primaries with a replica each (recorded).
    @Test func readsCLUSTERSLOTS() throws {
        let wire = "*3\r\n"
            + "*4\r\n:0\r\n:5460\r\n*4\r\n$9\r\n127.0.0.1\r\n:17001\r\n$3\r\nid1\r\n*0\r\n*4\r\n$9\r\n127.0.0.1\r\n:17005\r\n$3\r\nid5\r\n*0\r\n"
            + "*4\r\n:5461\r\n:10922\r\n*4\r\n$0\r\n\r\n:17002\r\n$3\r\nid2\r\n*0\r\n*4\r\n$1\r\n?\r\n:17006\r\n$3\r\nid6\r\n*0\r\n"
            + "*3\r\n:10923\r\n:16383\r\n*3\r\n$3\r\n::1\r\n:17003\r\n$3\r\nid3\r\n"
        let topology = try RedisClusterTopology(slotsReply: try reply(wire), askedNode: asked)
        let first = RedisClusterNode(host: "127.0.0.1", port: 17001)
        let second = RedisClusterNode(host: "10.0.0.1", port: 17002)   // announced with an empty host: the node asked
        let third = RedisClusterNode(host: "::1", port: 17003)
        #expect(topology.primaries == [first, second, third])
        #expect(topology.nodes == [first, RedisClusterNode(host: "127.0.0.1", port: 17005), second, third])   // "?" left out
        #expect(topology.primary(forSlot: 0) == first)
        #expect(topology.primary(forSlot: 5460) == first)
        #expect(topology.primary(forSlot: 5461) == second)
        #expect(topology.primary(forSlot: 16_383) == third)
        #expect(topology.primary(forSlot: 16_384) == nil)
        #expect(topology.unservedSlotCount == 0)
        #expect(third.description == "[::1]:17003")
    }

    @Test func slotsNobodyServesHaveNoPrimary() throws {
        let topology = try RedisClusterTopology(
            slotsReply: try reply("*1\r\n*3\r\n:100\r\n:199\r\n*2\r\n$9\r\n127.0.0.1\r\n:7001\r\n"), askedNode: asked)
        #expect(topology.primary(forSlot: 99) == nil)
        #expect(topology.primary(forSlot: 150)?.port == 7001)
        #expect(topology.unservedSlotCount == 16_384 - 100)
        #expect(RedisClusterTopology().unservedSlotCount == 16_384)
    }

    @Test(arguments: [
        "-ERR This instance has cluster support disabled\r\n", ":5\r\n", "*1\r\n:1\r\n", "*1\r\n*2\r\n:0\r\n:1\r\n",
        "*1\r\n*3\r\n:5\r\n:1\r\n*2\r\n$1\r\nh\r\n:1\r\n", "*1\r\n*3\r\n:0\r\n:16384\r\n*2\r\n$1\r\nh\r\n:1\r\n",
        "*1\r\n*3\r\n:0\r\n:1\r\n*2\r\n$1\r\nh\r\n:0\r\n", "*1\r\n*3\r\n:0\r\n:1\r\n*1\r\n$1\r\nh\r\n", "*1\r\n*3\r\n:-1\r\n:1\r\n*2\r\n$1\r\nh\r\n:1\r\n",
    ])
    func garbageIsRefused(_ wire: String) throws {
        #expect(throws: RedisClusterTopology.Invalid.self) { try RedisClusterTopology(slotsReply: try reply(wire), askedNode: asked) }
    }

    @Test func redirectionsAreRead() {
        #expect(RedisClusterRedirect(error: "MOVED 3999 127.0.0.1:6381", from: asked)
            == .moved(slot: 3999, to: RedisClusterNode(host: "127.0.0.1", port: 6381)))
        #expect(RedisClusterRedirect(error: "ASK 3999 [::1]:6381", from: asked) == .ask(slot: 3999, to: RedisClusterNode(host: "::1", port: 6381)))
        #expect(RedisClusterRedirect(error: "MOVED 7 :6390", from: asked) == .moved(slot: 7, to: RedisClusterNode(host: "10.0.0.1", port: 6390)))
        for garbage in ["ERR unknown", "MOVED", "MOVED 3999", "MOVED 16384 h:1", "MOVED -1 h:1", "MOVED 1 h:0", "MOVED 1 h", "MOVED x h:1",
                        "ASK 1 h:99999", "MOVEDX 1 h:1", "MOVED 1 h:1 extra"] {
            #expect(RedisClusterRedirect(error: garbage, from: asked) == nil, "\(garbage)")
        }
    }

    @Test func aMOVEDReassignsOneSlot() {
        var topology = RedisClusterTopology()
        let node = RedisClusterNode(host: "h", port: 1)
        topology.assign(slot: 42, to: node)
        topology.assign(slot: 43, to: node)
        topology.assign(slot: 99_999, to: node)
        #expect(topology.primary(forSlot: 42) == node && topology.primary(forSlot: 43) == node)
        #expect(topology.primaries == [node] && topology.unservedSlotCount == 16_382)
    }
}
