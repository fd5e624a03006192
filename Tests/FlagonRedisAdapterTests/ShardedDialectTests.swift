import FlagonJSON
import FlagonMessagePack
@testable import FlagonRedisAdapter
import FlagonSocketIO
import FlagonSocketIOCore
import Testing

/// The sharded protocol of `@socket.io/redis-adapter`'s `createShardedAdapter`, byte for byte:
/// what Flagon's adapter publishes becomes what a Node sharded adapter publishes (on the
/// channel its `subscriptionMode` picks), and what Node publishes becomes what the adapter
/// reads. Every message type, both ways.
@Suite struct ShardedDialectTests {
    let packet = SocketIOPacket(type: .event, namespace: "/", data: ["news", "hi"])
    let classicRequest = "socket.io-request#/#"

    private func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    private func out(_ mode: RedisShardedMode = .dynamic, _ channel: String, _ payload: [UInt8]) throws -> (channel: String, text: String?) {
        var dialect = ShardedDialect(prefix: "socket.io", mode: mode, uid: "A")
        let translated = try dialect.outgoing(channel: channel, payload: payload)
        return (translated?.channel ?? "", text(translated?.payload))
    }

    private func request(_ json: String) -> [UInt8] { Array(json.utf8) }

    @Test func broadcastsGoToTheChannelTheModePicks() throws {
        let toLobby = ClusterBroadcast(uid: "A", packet: packet, rooms: ["lobby"], except: ["muted"]).encoded()
        let expected = #"{"type":3,"data":{"packet":{"type":2,"data":["news","hi"],"nsp":"/"},"opts":{"rooms":["lobby"],"except":["muted"],"flags":{}}},"uid":"A","nsp":"/"}"#
        #expect(try out(.static, "socket.io#/#lobby#", toLobby) == ("socket.io#/#", expected))
        #expect(try out(.dynamic, "socket.io#/#lobby#", toLobby) == ("socket.io#/#lobby#", expected))
        #expect(try out(.dynamicPrivate, "socket.io#/#lobby#", toLobby) == ("socket.io#/#lobby#", expected))
        // A room that looks like a Node socket id (20 characters) stays on the main channel in dynamic mode.
        let sid = "abcdefghij0123456789"
        let toSocket = ClusterBroadcast(uid: "A", packet: packet, rooms: [sid]).encoded()
        #expect(try out(.dynamic, "socket.io#/#\(sid)#", toSocket).channel == "socket.io#/#")
        #expect(try out(.dynamicPrivate, "socket.io#/#\(sid)#", toSocket).channel == "socket.io#/#\(sid)#")
        // Several rooms, or none: the main channel; volatile as a flag.
        let everyone = ClusterBroadcast(uid: "A", packet: packet, rooms: ["a", "b"], flags: ["volatile": true]).encoded()
        #expect(try out(.dynamic, "socket.io#/#", everyone)
                == ("socket.io#/#", #"{"type":3,"data":{"packet":{"type":2,"data":["news","hi"],"nsp":"/"},"opts":{"rooms":["a","b"],"except":[],"flags":{"volatile":true}}},"uid":"A","nsp":"/"}"#))
    }

    @Test func aBroadcastWithBinaryIsMessagePack() throws {
        var dialect = ShardedDialect(prefix: "socket.io", mode: .static, uid: "A")
        let binary = SocketIOPacket(type: .event, namespace: "/", data: ["file", .binary([1, 2, 3])])
        let translated = try #require(try dialect.outgoing(channel: "socket.io#/#", payload: ClusterBroadcast(uid: "A", packet: binary).encoded()))
        #expect(translated.payload.first == 0x84)   // a map of four: type, data, uid, nsp
        let value = try JSONValue(messagePack: MessagePackReader.decode(translated.payload))
        #expect(value["type"] == 3 && value["data"]?["packet"]?["data"] == ["file", .binary([1, 2, 3])] && value["uid"] == "A")
    }

    @Test func requestsBecomeTheirShardedTypes() throws {
        let opts = #""opts":{"rooms":["lobby"],"except":[],"flags":{}}"#
        let cases: [(String, String)] = [
            (#"{"uid":"A","type":2,"opts":{"rooms":["lobby"],"except":[]},"rooms":["b"]}"#,
             #"{"type":4,"data":{\#(opts),"rooms":["b"]},"uid":"A","nsp":"/"}"#),
            (#"{"uid":"A","type":3,"opts":{"rooms":["lobby"],"except":[]},"rooms":["b"]}"#,
             #"{"type":5,"data":{\#(opts),"rooms":["b"]},"uid":"A","nsp":"/"}"#),
            (#"{"uid":"A","type":4,"opts":{"rooms":["lobby"],"except":[]},"close":true}"#,
             #"{"type":6,"data":{\#(opts),"close":true},"uid":"A","nsp":"/"}"#),
            (#"{"uid":"A","requestId":"r1","type":5,"opts":{"rooms":["lobby"],"except":[]}}"#,
             #"{"type":7,"data":{\#(opts),"requestId":"r1"},"uid":"A","nsp":"/"}"#),
            (#"{"uid":"A","type":6,"data":["hello",{"n":1}]}"#,
             #"{"type":9,"data":{"packet":["hello",{"n":1}]},"uid":"A","nsp":"/"}"#),
            (#"{"uid":"A","requestId":"r2","type":6,"data":["load"]}"#,
             #"{"type":9,"data":{"requestId":"r2","packet":["load"]},"uid":"A","nsp":"/"}"#),
            (#"{"uid":"A","requestId":"r3","type":7,"packet":{"type":2,"data":["vote"],"nsp":"/","id":4},"opts":{"rooms":[],"except":[],"flags":{"timeout":3000}}}"#,
             #"{"type":3,"data":{"packet":{"type":2,"data":["vote"],"nsp":"/","id":4},"requestId":"r3","opts":{"rooms":[],"except":[],"flags":{"timeout":3000}}},"uid":"A","nsp":"/"}"#),
        ]
        for (classic, sharded) in cases {
            #expect(try out(.dynamic, classicRequest, request(classic)) == ("socket.io#/#", sharded), "\(classic)")
        }
    }

    @Test func responsesGoToTheRequestersChannel() throws {
        let cases: [(String, String)] = [
            (#"{"requestId":"r1","sockets":[{"id":"s1","handshake":{},"rooms":["s1"],"data":null}]}"#,
             #"{"type":8,"data":{"requestId":"r1","sockets":[{"id":"s1","handshake":{},"rooms":["s1"],"data":null}]},"uid":"A","nsp":"/"}"#),
            (#"{"type":6,"requestId":"r2","data":{"server":"A"}}"#,
             #"{"type":10,"data":{"requestId":"r2","packet":{"server":"A"}},"uid":"A","nsp":"/"}"#),
            (#"{"type":8,"requestId":"r3","clientCount":2}"#, #"{"type":11,"data":{"requestId":"r3","clientCount":2},"uid":"A","nsp":"/"}"#),
            (#"{"type":9,"requestId":"r3","packet":["yes"]}"#, #"{"type":12,"data":{"requestId":"r3","packet":["yes"]},"uid":"A","nsp":"/"}"#),
        ]
        for (classic, sharded) in cases {
            #expect(try out(.static, "socket.io-response#/#B#", request(classic)) == ("socket.io#/#B#", sharded), "\(classic)")
        }
        // The answer to an older one-socket request has no sharded form.
        var dialect = ShardedDialect(prefix: "socket.io", mode: .static, uid: "A")
        #expect(try dialect.outgoing(channel: "socket.io-response#/#B#", payload: request(#"{"requestId":"r9"}"#)) == nil)
    }

    // MARK: Node's messages, read

    private func into(_ channel: String, _ json: String, mode: RedisShardedMode = .dynamic) throws -> (channel: String, payload: [UInt8])? {
        var dialect = ShardedDialect(prefix: "socket.io", mode: mode, uid: "A")
        return try dialect.incoming(channel: channel, payload: Array(json.utf8))
    }

    @Test func nodeBroadcastsReachTheAdapterAsBroadcasts() throws {
        let json = #"{"type":3,"data":{"packet":{"type":2,"data":["news","hi"],"nsp":"/"},"opts":{"rooms":["lobby"],"except":["muted"],"flags":{}}},"uid":"N","nsp":"/"}"#
        let onRoom = try #require(try into("socket.io#/#lobby#", json))
        #expect(onRoom.channel == "socket.io#/#lobby#")
        #expect(try ClusterBroadcast.decode(onRoom.payload) == ClusterBroadcast(uid: "N", packet: packet, rooms: ["lobby"], except: ["muted"]))
        let onMain = try #require(try into("socket.io#/#", json))
        #expect(onMain.channel == "socket.io#/#")
        // A broadcast with ack is a request (type 7) for the adapter.
        let withAck = #"{"type":3,"data":{"packet":{"type":2,"data":["vote"],"nsp":"/","id":4},"requestId":"r3","opts":{"rooms":[],"except":[],"flags":{"timeout":3000}}},"uid":"N","nsp":"/"}"#
        let request = try #require(try into("socket.io#/#", withAck))
        let message = try ClusterAdapterMessage.decode(request.payload)
        #expect(request.channel == classicRequest)
        #expect(message.type == .broadcast && message.uid == "N" && message.requestId == "r3")
        #expect(message.fields["opts"]?["flags"]?["timeout"] == 3000 && message.fields["packet"]?["id"] == 4)
    }

    @Test func nodeRequestsAndResponsesReachTheAdapterAsItsOwn() throws {
        let requests: [(String, ClusterRequestType, JSONObject)] = [
            (#"{"type":4,"data":{"opts":{"rooms":["lobby"],"except":[],"flags":{}},"rooms":["b"]},"uid":"N","nsp":"/"}"#, .remoteJoin, ["rooms": ["b"]]),
            (#"{"type":5,"data":{"opts":{"rooms":["lobby"],"except":[],"flags":{}},"rooms":["b"]},"uid":"N","nsp":"/"}"#, .remoteLeave, ["rooms": ["b"]]),
            (#"{"type":6,"data":{"opts":{"rooms":[],"except":[],"flags":{}},"close":true},"uid":"N","nsp":"/"}"#, .remoteDisconnect, ["close": true]),
            (#"{"type":7,"data":{"opts":{"rooms":["lobby"],"except":[],"flags":{}},"requestId":"r1"},"uid":"N","nsp":"/"}"#, .remoteFetch, ["requestId": "r1"]),
            (#"{"type":9,"data":{"requestId":"r2","packet":["load",7]},"uid":"N","nsp":"/"}"#, .serverSideEmit, ["requestId": "r2", "data": ["load", 7]]),
        ]
        for (json, type, expected) in requests {
            let translated = try #require(try into("socket.io#/#", json))
            let message = try ClusterAdapterMessage.decode(translated.payload)
            #expect(translated.channel == classicRequest && message.type == type && message.uid == "N", "\(json)")
            for member in expected { #expect(message.fields[member.key] == member.value, "\(json): \(member.key)") }
        }
        let responses: [(String, JSONObject)] = [
            (#"{"type":8,"data":{"requestId":"r1","sockets":[{"id":"s1"}]},"uid":"N","nsp":"/"}"#, ["requestId": "r1", "sockets": [["id": "s1"]]]),
            (#"{"type":10,"data":{"requestId":"r2","packet":"ok"},"uid":"N","nsp":"/"}"#, ["type": 6, "requestId": "r2", "data": "ok"]),
            (#"{"type":11,"data":{"requestId":"r3","clientCount":2},"uid":"N","nsp":"/"}"#, ["type": 8, "requestId": "r3", "clientCount": 2]),
            (#"{"type":12,"data":{"requestId":"r3","packet":["yes"]},"uid":"N","nsp":"/"}"#, ["type": 9, "requestId": "r3", "packet": ["yes"]]),
        ]
        for (json, expected) in responses {
            let translated = try #require(try into("socket.io#/#A#", json))
            #expect(translated.channel == "socket.io-response#/#A#", "\(json)")
            #expect(try ClusterAdapterMessage.decode(translated.payload).fields == expected, "\(json)")
        }
    }

    @Test func ownMessagesHeartbeatsAndGarbage() throws {
        #expect(try into("socket.io#/#", #"{"type":4,"data":{"opts":{},"rooms":[]},"uid":"A","nsp":"/"}"#) == nil)   // this server's
        for heartbeat in [1, 2, 13] { #expect(try into("socket.io#/#", #"{"type":\#(heartbeat),"uid":"N","nsp":"/"}"#) == nil) }
        for garbage in ["", "{", "[1,2]", #"{"type":99,"uid":"N","nsp":"/"}"#, #"{"type":3,"uid":"N","nsp":"/"}"#,
                        #"{"type":4,"data":{},"nsp":"/"}"#, #"{"type":4,"data":{},"uid":"N","nsp":"/other"}"#,
                        #"{"type":3,"data":{"packet":{"type":9},"opts":{}},"uid":"N","nsp":"/"}"#] {
            #expect(throws: ClusterMessageError.self, "\(garbage)") { _ = try into("socket.io#/#", garbage) }
        }
        #expect(throws: ClusterMessageError.self) { _ = try into("elsewhere", "{}") }
    }

    @Test func olderQuestionsAreAskedAsFetchesAndAnsweredInTheirForm() throws {
        var dialect = ShardedDialect(prefix: "socket.io", mode: .static, uid: "A")
        let sockets = try #require(try dialect.outgoing(channel: classicRequest, payload: request(#"{"uid":"A","requestId":"q1","type":0,"rooms":["vip"]}"#)))
        #expect(text(sockets.payload) == #"{"type":7,"data":{"opts":{"rooms":["vip"],"except":[],"flags":{}},"requestId":"q1"},"uid":"A","nsp":"/"}"#)
        _ = try dialect.outgoing(channel: classicRequest, payload: request(#"{"uid":"A","requestId":"q2","type":1}"#))
        let found = #"[{"id":"s1","rooms":["s1","vip"]},{"id":"s2","rooms":["s2","vip","x"]}]"#
        let ids = try #require(try dialect.incoming(channel: "socket.io#/#A#", payload: Array(#"{"type":8,"data":{"requestId":"q1","sockets":\#(found)},"uid":"N","nsp":"/"}"#.utf8)))
        #expect(try ClusterAdapterMessage.decode(ids.payload).fields == ["requestId": "q1", "sockets": ["s1", "s2"]])
        let rooms = try #require(try dialect.incoming(channel: "socket.io#/#A#", payload: Array(#"{"type":8,"data":{"requestId":"q2","sockets":\#(found)},"uid":"N","nsp":"/"}"#.utf8)))
        #expect(try ClusterAdapterMessage.decode(rooms.payload).fields == ["requestId": "q2", "rooms": ["s1", "vip", "s2", "x"]])
    }

    @Test func whatEachModeFollows() {
        for mode in RedisShardedMode.allCases {
            let dialect = ShardedDialect(prefix: "socket.io", mode: mode, uid: "A")
            #expect(dialect.shardChannel(subscribing: "socket.io#/chat#") == "socket.io#/chat#")
            #expect(dialect.shardChannel(subscribing: "socket.io-request#/chat#") == nil)
            #expect(dialect.shardChannel(subscribing: "socket.io-response#/chat#") == nil)
            #expect(dialect.shardChannel(subscribing: "socket.io-response#/chat#A#") == "socket.io#/chat#A#")
            #expect(dialect.shardChannel(subscribing: "socket.io#/chat#lobby#") == (mode == .static ? nil : "socket.io#/chat#lobby#"))
            #expect(dialect.serversChannel(for: "socket.io-request#/chat#") == "socket.io#/chat#")
        }
    }
}
