import Flagon
import FlagonJSON
import FlagonLoop
import FlagonTesting
import Testing
@testable import FlagonSocketIO

/// Presence in one process with in-process clients, and the other servers' messages fed to
/// the tracker as they would arrive (untrusted: checked and bounded). Across real workers and
/// servers: Tests/Interop/live_checks.py.
@Suite struct PresenceTrackerTests {
    /// A server whose `/p` tracks presence under the `user` of each socket's auth.
    @LoopActor private func presenceApp(pingInterval: UInt64 = 25_000, pingTimeout: UInt64 = 20_000) -> (App, Namespace) {
        var options = SocketIOOptions()
        options.engine.pingInterval = pingInterval
        options.engine.pingTimeout = pingTimeout
        let sio = SocketIOServer(options: options)
        let app = App()
        let nsp = sio.of("/p")
        nsp.trackPresence(event: "presence")
        nsp.onConnect { socket, auth in socket.presenceKey = auth?["user"]?.stringValue }
        nsp.on("join") { (socket: Socket, room: String) -> Bool in
            socket.join(room)
            return true
        }
        nsp.on("leave") { (socket: Socket, room: String) -> Bool in
            socket.leave(room)
            return true
        }
        sio.attach(to: app)
        return (app, nsp)
    }

    @LoopActor private func changes(_ client: SocketIOTestClient) -> [String] {
        client.received(namespace: "/p").filter { $0.name == "presence" }.compactMap { event in
            guard let user = event.arguments.first?["user"]?.stringValue, let state = event.arguments.first?["state"]?.stringValue else { return nil }
            return "\(user) \(state)"
        }
    }

    @Test @LoopActor func aUserWithTwoSocketsArrivesOnceAndLeavesWithTheLast() async throws {
        let (app, nsp) = presenceApp()
        let ann1 = try await SocketIOTestClient.connect(to: app, namespace: "/p", auth: ["user": "ann"])
        let ann2 = try await SocketIOTestClient.connect(to: app, namespace: "/p", auth: ["user": "ann"])
        let bob = try await SocketIOTestClient.connect(to: app, namespace: "/p", auth: ["user": "bob"])
        #expect(try await ann1.emitWithAck("join", ["r"], namespace: "/p") == [true])
        #expect(try await bob.emitWithAck("join", ["r"], namespace: "/p") == [true])
        #expect(try await ann2.emitWithAck("join", ["r"], namespace: "/p") == [true])   // ann is there: no change
        #expect(nsp.presence(in: "r") == ["ann", "bob"])
        #expect(await bob.waitFor { _ in self.changes(bob) == ["bob join"] })
        #expect(await ann1.waitFor { _ in self.changes(ann1) == ["ann join", "bob join"] })
        #expect(try await ann1.emitWithAck("leave", ["r"], namespace: "/p") == [true])   // ann2 stays
        await ann2.close()   // the last of ann's sockets
        #expect(await bob.waitFor { _ in self.changes(bob) == ["bob join", "ann leave"] })
        #expect(nsp.presence(in: "r") == ["bob"])
        #expect(nsp.presence.map { $0.localCounts == (1, 1) } == true)
        await ann1.close()
        await bob.close()
        let tracker = try #require(nsp.presence)
        for _ in 0..<100 where tracker.localCounts != (0, 0) { await LoopTimer.sleep(milliseconds: 10) }
        #expect(tracker.localCounts == (0, 0))
    }

    @Test @LoopActor func theServerSetsTheKeyAndSocketsJoinCounts() async throws {
        let (app, nsp) = presenceApp()
        // What a client sends cannot name its key: only the server's handler sets it.
        let anonymous = try await SocketIOTestClient.connect(to: app, namespace: "/p", auth: ["presenceKey": "ann"])
        #expect(try await anonymous.emitWithAck("join", ["r"], namespace: "/p") == [true])
        #expect(nsp.presence(in: "r") == [])
        let carl = try await SocketIOTestClient.connect(to: app, namespace: "/p", auth: ["user": "carl"])
        let sid = try #require(nsp.sockets.values.first { $0.presenceKey == "carl" }?.id)
        nsp.to(sid).socketsJoin("moved-in")   // a server-side join counts as the socket's own
        #expect(nsp.presence(in: "moved-in") == ["carl"])
        // A new key moves the socket's rooms to it.
        nsp.sockets[sid]?.presenceKey = "carlos"
        #expect(nsp.presence(in: "moved-in") == ["carlos"])
        nsp.to(sid).socketsLeave("moved-in")
        #expect(nsp.presence(in: "moved-in") == [])
        await anonymous.close()
        await carl.close()
    }

    @Test @LoopActor func aRoomHoldsAtMostItsLimitOfKeys() async throws {
        let (app, nsp) = presenceApp()
        let tracker = try #require(nsp.presence)
        tracker.maxKeysPerRoom = 2
        var clients: [SocketIOTestClient] = []
        for user in ["a", "b", "c"] {
            let client = try await SocketIOTestClient.connect(to: app, namespace: "/p", auth: .object(["user": .string(user)]))
            #expect(try await client.emitWithAck("join", ["full"], namespace: "/p") == [true])
            clients.append(client)
        }
        #expect(nsp.presence(in: "full") == ["a", "b"])
        #expect(tracker.ignored == 1)
        for client in clients { await client.close() }
    }

    @Test @LoopActor func anotherServersMembersCountAndGarbageIsIgnored() async throws {
        let (app, nsp) = presenceApp()
        let tracker = try #require(nsp.presence)
        let watcher = try await SocketIOTestClient.connect(to: app, namespace: "/p", auth: ["user": "wendy"])
        #expect(try await watcher.emitWithAck("join", ["r"], namespace: "/p") == [true])
        tracker.received(["op": "add", "from": "server-b", "room": "r", "key": "ann"])
        tracker.received(["op": "add", "from": "server-b", "room": "r", "key": "ann"])   // again: no change
        #expect(nsp.presence(in: "r") == ["ann", "wendy"])
        #expect(await watcher.waitFor { _ in self.changes(watcher) == ["wendy join", "ann join"] })
        #expect(tracker.remoteCounts == (1, 1))
        let before = tracker.ignored
        let long = String(repeating: "x", count: 2000)
        let garbage: [JSONValue?] = [
            nil, 5, "add", [], ["op": 7], ["op": "add"], ["op": "add", "from": "server-c"],
            ["op": "add", "from": "server-c", "room": 1, "key": "k"], ["op": "add", "from": "server-c", "room": .string(long), "key": "k"],
            ["op": "beat", "from": "server-c"], ["op": "beat", "from": "server-c", "entries": "many"], ["op": "sync"],
            ["op": "snapshot", "from": "server-c", "rooms": [1, 2]], ["op": "snapshot", "from": "server-c", "rooms": ["r": "ann"]],
            ["op": "explode", "from": "server-c"], ["op": "add", "from": .string(long), "room": "r", "key": "k"],
        ]
        for message in garbage { tracker.received(message) }
        #expect(tracker.ignored - before == garbage.count)
        #expect(nsp.presence(in: "r") == ["ann", "wendy"])
        // A snapshot replaces what the server holds; its departure is told.
        tracker.received(["op": "snapshot", "from": "server-b", "rooms": ["other": ["bob"]]])
        #expect(nsp.presence(in: "r") == ["wendy"] && nsp.presence(in: "other") == ["bob"])
        #expect(await watcher.waitFor { _ in self.changes(watcher) == ["wendy join", "ann join", "ann leave"] })
        await watcher.close()
    }

    @Test @LoopActor func otherServersAreBounded() async throws {
        let (app, nsp) = presenceApp()
        let tracker = try #require(nsp.presence)
        tracker.maxServers = 100
        tracker.maxRemoteEntries = 50
        for index in 0..<5000 { tracker.received(["op": "beat", "from": .string("s\(index)"), "entries": 0]) }
        #expect(tracker.remoteCounts.servers == 100)
        for index in 0..<200 { tracker.received(["op": "add", "from": "s1", "room": .string("r\(index)"), "key": "k"]) }
        #expect(tracker.remoteCounts.entries == 50)
        #expect(tracker.ignored >= 4900 + 150)
        withExtendedLifetime(app) {}   // the server lives as long as its namespaces are used
    }

    @Test @LoopActor func aNamespaceKeptAfterItsServerStopsItsHeartbeat() async throws {
        weak var gone: App?
        let nsp: Namespace = try {
            let (app, nsp) = presenceApp(pingInterval: 20, pingTimeout: 20)
            gone = app
            return try #require(nsp.presence != nil ? nsp : nil)
        }()
        #expect(gone == nil)
        await LoopTimer.sleep(milliseconds: 100)   // five intervals: a heartbeat that read the server would have crashed
        #expect(nsp.presence?.remoteCounts.servers == 0)
    }

    @Test @LoopActor func aSilentServersUsersLeaveAfterTwoIntervalsAndTheTimeout() async throws {
        let (app, nsp) = presenceApp(pingInterval: 1000, pingTimeout: 1000)
        let tracker = try #require(nsp.presence)
        let watcher = try await SocketIOTestClient.connect(to: app, namespace: "/p", auth: ["user": "wendy"])
        #expect(try await watcher.emitWithAck("join", ["r"], namespace: "/p") == [true])
        let heard = EventLoop.shared.nowMilliseconds
        tracker.received(["op": "add", "from": "server-b", "room": "r", "key": "carl"])
        #expect(nsp.presence(in: "r") == ["carl", "wendy"])
        #expect(await watcher.waitFor(timeout: 8000) { _ in self.changes(watcher).contains("carl leave") })
        let took = EventLoop.shared.nowMilliseconds - heard
        #expect(took >= 3000, "left after \(took) ms, before 2 × 1000 + 1000")   // and within a heartbeat of it, timing aside
        #expect(tracker.expiredServers == 1)
        #expect(nsp.presence(in: "r") == ["wendy"])
        #expect(tracker.remoteCounts == (0, 0))
        await watcher.close()
    }
}
