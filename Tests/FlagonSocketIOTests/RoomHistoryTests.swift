import Flagon
import FlagonJSON
import FlagonLoop
import FlagonTesting
import Testing
@testable import FlagonSocketIO

/// Room history: the in-process store's bounds as values, then a late joiner's replay with
/// in-process clients. Across workers and servers (Redis streams): Tests/Interop/live_checks.py.
@Suite struct RoomHistoryTests {
    @Test func aSliceNamesWhatIsMissing() {
        let entry = { (seq: Int) in RoomHistoryEntry(seq: seq, event: "said", arguments: [.int(seq)], time: 0) }
        #expect(RoomHistorySlice(entries: [], latest: 0).missing == nil)
        #expect(RoomHistorySlice(entries: [entry(1), entry(2)], latest: 2).missing == nil)
        #expect(RoomHistorySlice(entries: [entry(5), entry(4)], latest: 5).missing == 1...3)
        #expect(RoomHistorySlice(entries: [entry(5), entry(4)], latest: 5).entries.map(\.seq) == [4, 5])
        #expect(RoomHistorySlice(entries: [], latest: 7).missing == 1...7)   // all gone (too old)
    }

    @Test @LoopActor func aRoomKeepsItsNewestMessagesInOrder() {
        let store = InMemoryRoomHistory(limits: RoomHistoryLimits(maxMessages: 5))
        for _ in 1...8 {
            let seq = store.nextSequenceNow(namespace: "/", room: "r")
            store.store(RoomHistoryEntry(seq: seq, event: "said", arguments: [.int(seq)]), namespace: "/", room: "r")
        }
        let slice = store.recentNow(namespace: "/", room: "r")
        #expect(slice.entries.map(\.seq) == [4, 5, 6, 7, 8])
        #expect(slice.latest == 8 && slice.missing == 1...3)
        #expect(store.recentNow(namespace: "/other", room: "r") == RoomHistorySlice(entries: [], latest: 0))
    }

    @Test @LoopActor func oldMessagesAgeOut() {
        let store = InMemoryRoomHistory(limits: RoomHistoryLimits(maxMessages: 10, maxAge: 1000))
        let now = WallClock.milliseconds
        for (seq, age) in [(1, 5000), (2, 3000), (3, 10)] {
            _ = store.nextSequenceNow(namespace: "/", room: "r")
            store.store(RoomHistoryEntry(seq: seq, event: "said", arguments: [], time: now - age), namespace: "/", room: "r")
        }
        let slice = store.recentNow(namespace: "/", room: "r")
        #expect(slice.entries.map(\.seq) == [3])
        #expect(slice.missing == 1...2)
    }

    @Test @LoopActor func theNumberOfRoomsIsBounded() {
        let store = InMemoryRoomHistory(limits: RoomHistoryLimits(maxMessages: 2, maxRooms: 10))
        for index in 0..<1000 {
            let room = "room-\(index)"
            let seq = store.nextSequenceNow(namespace: "/", room: room)
            store.store(RoomHistoryEntry(seq: seq, event: "said", arguments: [.string(room)]), namespace: "/", room: room)
        }
        #expect(store.roomCount <= 10)
        #expect(store.evictedRooms >= 990)
        // The most recent room is kept; a forgotten one starts its numbering again.
        #expect(store.recentNow(namespace: "/", room: "room-999").latest == 1)
        #expect(store.nextSequenceNow(namespace: "/", room: "room-0") == 1)
    }

    @Test @LoopActor func aLateJoinerGetsTheGapThenTheKeptMessagesInOrder() async throws {
        let sio = SocketIOServer()
        let app = App()
        let nsp = sio.of("/h")
        let history = nsp.keepHistory(RoomHistoryLimits(maxMessages: 3))
        #expect(nsp.keepHistory() === history)   // once per namespace
        nsp.on("join") { (socket: Socket, room: String) async -> Bool in
            await history.replay(room, to: socket)
            socket.join(room)
            return true
        }
        nsp.on("say") { (_: Socket, room: String, text: String) async -> Int? in
            await history.emit(to: room, event: "said") { seq in [.string(text), .int(seq)] }
        }
        sio.attach(to: app)
        let speaker = try await SocketIOTestClient.connect(to: app, namespace: "/h")
        #expect(try await speaker.emitWithAck("join", ["r"], namespace: "/h") == [true])
        for (index, text) in ["a", "b"].enumerated() {
            #expect(try await speaker.emitWithAck("say", ["r", .string(text)], namespace: "/h") == [.int(index + 1)])
        }
        let early = try await SocketIOTestClient.connect(to: app, namespace: "/h")
        #expect(try await early.emitWithAck("join", ["r"], namespace: "/h") == [true])
        #expect(early.received(namespace: "/h").map(\.name) == ["said", "said"])   // no gap: nothing dropped yet
        #expect(early.received(namespace: "/h").map(\.arguments) == [["a", 1], ["b", 2]])
        for text in ["c", "d", "e"] { _ = try await speaker.emitWithAck("say", ["r", .string(text)], namespace: "/h") }
        // The room's members got each message live, once.
        #expect(await early.waitFor { $0.filter { $0.name == "said" }.count == 5 })
        let late = try await SocketIOTestClient.connect(to: app, namespace: "/h")
        #expect(try await late.emitWithAck("join", ["r"], namespace: "/h") == [true])
        let replayed = late.received(namespace: "/h")
        #expect(replayed.map(\.name) == ["history_gap", "said", "said", "said"])
        #expect(replayed.first?.arguments == [["room": "r", "from": 1, "to": 2]])
        #expect(replayed.dropFirst().map(\.arguments) == [["c", 3], ["d", 4], ["e", 5]])
        // A room nobody spoke in replays nothing.
        #expect(try await late.emitWithAck("join", ["quiet"], namespace: "/h") == [true])
        #expect(late.received(namespace: "/h").count == 4)
        for client in [speaker, early, late] { await client.close() }
    }
}
