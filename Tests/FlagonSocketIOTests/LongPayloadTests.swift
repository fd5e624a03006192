import Flagon
import FlagonJSON
import FlagonLoop
import FlagonTesting
import Testing
@testable import FlagonSocketIO

/// A long-polling POST of many packets is handled over several loop turns (other clients are
/// served between its slices), in order, and answered at its end; a second POST of the same
/// session meanwhile is refused.
@Suite struct LongPayloadTests {
    /// What the server's sessions received, in order.
    @LoopActor final class Record {
        var messages: [String] = []
    }

    @LoopActor private func start(_ record: Record) throws -> (Server, Int) {
        let engine = EngineServer(options: EngineOptions())
        engine.onConnection = { session in
            session.onMessage = { data in
                if case .text(let text) = data { record.messages.append(String(decoding: text, as: UTF8.self)) }
            }
        }
        let app = App()
        app.mount("/engine.io", engine)
        return try Server.startOnLoopback(app)
    }

    @LoopActor private func open(_ client: LiveTestClient) async throws -> String {
        let open = try await client.get("/engine.io/?EIO=4&transport=polling")
        return try #require(try JSONValue.parse(Array(open.body.dropFirst()))["sid"]?.stringValue)
    }

    private static func payload(_ count: Int) -> [UInt8] {
        Array((0..<count).map { "4m\($0)" }.joined(separator: "\u{1e}").utf8)
    }

    @Test @LoopActor func aPayloadOfManyPacketsYieldsTheLoopBetweenSlicesAndKeepsItsOrder() async throws {
        let record = Record()
        let (server, port) = try start(record)
        let client = LiveTestClient(port: port)
        let sid = try await open(client)
        let count = 90 * EngineSession.postPacketsPerTurn + 7   // under 1 MB
        // A timer due at once: it runs at the first turn the POST gives back, not after the POST.
        var handledWhenTheTimerRan: Int?
        let timer = LoopTimer { handledWhenTheTimerRan = record.messages.count }
        record.messages.reserveCapacity(count)
        let post = Task { @LoopActor in
            try await client.post("/engine.io/?EIO=4&transport=polling&sid=\(sid)", body: Self.payload(count))
        }
        for _ in 0..<5000 where record.messages.isEmpty { await LoopTimer.sleep(milliseconds: 1) }
        timer.start(afterMilliseconds: 0)
        let response = try await post.value
        timer.close()
        #expect(response.status == 200 && response.text == "ok")
        #expect(record.messages == (0..<count).map { "m\($0)" })
        let seen = try #require(handledWhenTheTimerRan)
        #expect(seen > 0 && seen < count, "the timer ran after \(seen) of \(count) packets")
        #expect(seen % EngineSession.postPacketsPerTurn == 0)
        await server.shutdown()
    }

    @Test @LoopActor func aSecondPostWhileOneIsHandledClosesTheSession() async throws {
        let record = Record()
        let (server, port) = try start(record)
        let first = LiveTestClient(port: port)
        let second = LiveTestClient(port: port)
        let sid = try await open(first)
        let count = 90 * EngineSession.postPacketsPerTurn   // many turns, for the second POST to arrive in
        _ = try await open(second)   // its connection open before
        let long = Task { @LoopActor in
            try await first.post("/engine.io/?EIO=4&transport=polling&sid=\(sid)", body: Self.payload(count))
        }
        for _ in 0..<5000 where record.messages.isEmpty { await LoopTimer.sleep(milliseconds: 1) }
        #expect(!record.messages.isEmpty && record.messages.count < count)
        let overlapping = try await second.post("/engine.io/?EIO=4&transport=polling&sid=\(sid)", body: Array("4late".utf8))
        #expect(overlapping.status == 400)
        _ = try await long.value
        // The session ended at the overlap: the rest of the long payload was dropped with it.
        #expect(record.messages.count < count && !record.messages.contains("late"))
        #expect(try await second.get("/engine.io/?EIO=4&transport=polling&sid=\(sid)").status == 400)
        await server.shutdown()
    }
}
