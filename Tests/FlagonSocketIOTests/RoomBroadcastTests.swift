import Flagon
import FlagonJSON
import FlagonLoop
import FlagonTesting
import Testing
@testable import FlagonSocketIO

/// Broadcasts to a room walk a cached list of its sockets: every change of membership
/// (joins while connecting, joins, leaves, disconnects) must show in the next broadcast.
@Suite struct RoomBroadcastTests {
    @Test @LoopActor func theNextBroadcastSeesEveryMembershipChange() async throws {
        let app = App()
        let sio = SocketIOServer()
        sio.main.use { socket, auth in if auth?["early"] == true { socket.join("room") } }   // joined before it is connected
        sio.on("join") { socket, _ in socket.join("room"); return [] }
        sio.on("leave") { socket, _ in socket.leave("room"); return [] }
        sio.attach(to: app)
        weak var gone: Socket?
        func count(_ client: SocketIOTestClient) -> Int { client.received().filter { $0.name == "news" }.count }

        let early = try await SocketIOTestClient.connect(to: app, auth: ["early": true])
        let late = try await SocketIOTestClient.connect(to: app)
        #expect(sio.to("room").emit("news", arguments: []) == 1)   // the list is cached now
        _ = try await late.emitWithAck("join", [])
        #expect(sio.to("room").emit("news", arguments: []) == 2)
        let third = try await SocketIOTestClient.connect(to: app, auth: ["early": true])
        #expect(sio.to("room").emit("news", arguments: []) == 3)
        _ = try await early.emitWithAck("leave", [])
        #expect(sio.to("room").emit("news", arguments: []) == 2)
        gone = sio.main.sockets.values.first { $0.rooms.contains("room") && $0.connectionID == third.engineID }
        await third.close()
        for _ in 0..<100 where gone != nil { await LoopTimer.sleep(milliseconds: 5) }
        #expect(gone == nil)   // the cached list let go of it
        #expect(sio.to("room").emit("news", arguments: []) == 1)
        #expect(await late.waitFor { events in events.filter { $0.name == "news" }.count == 4 })
        #expect(count(early) == 3)
        await early.close()
        await late.close()
    }
}
