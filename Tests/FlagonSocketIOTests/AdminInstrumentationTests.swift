import Flagon
import FlagonJSON
import FlagonLoop
import FlagonTesting
import Testing
@testable import FlagonSocketIO

/// The admin UI's instrumentation in-process: its pieces as values, then a UI and a user
/// against one server (the wire protocol itself is checked with python-socketio in
/// Tests/Interop/admin_checks.py).
@Suite struct AdminInstrumentationTests {
    @Test func timestampsAreWrittenAsJavaScriptWritesDates() {
        #expect(AdminInstrumentation.timestamp(1_796_066_791_123) == "2026-11-30T19:26:31.123Z")
        #expect(AdminInstrumentation.timestamp(951_782_400_005) == "2000-02-29T00:00:00.005Z")
        #expect(AdminInstrumentation.timestamp(0) == "1970-01-01T00:00:00.000Z")
    }

    @Test @LoopActor func basicLoginsGetSessionsThatExpireAndAreBounded() async {
        let auth = AdminAuthentication.basic(username: "admin", password: "s3cret")
        var sessions = AdminSessions(capacity: 2, lifetime: 1000)
        #expect(await auth.verdict(for: ["username": "admin", "password": "s3cret"], sessions: sessions, now: 0) == .acceptedWithNewSession)
        #expect(await auth.verdict(for: ["username": "admin", "password": "s3cre"], sessions: sessions, now: 0) == .refused)
        #expect(await auth.verdict(for: ["username": "Admin", "password": "s3cret"], sessions: sessions, now: 0) == .refused)
        #expect(await auth.verdict(for: ["username": "admin", "password": 7], sessions: sessions, now: 0) == .refused)
        #expect(await auth.verdict(for: nil, sessions: sessions, now: 0) == .refused)
        let first = sessions.open(now: 0)
        #expect(first.count == 32 && first.allSatisfy(\.isHexDigit))   // 16 random bytes
        #expect(await auth.verdict(for: ["sessionId": .string(first)], sessions: sessions, now: 999) == .accepted)
        #expect(await auth.verdict(for: ["sessionId": .string(first)], sessions: sessions, now: 1000) == .refused)   // expired
        let second = sessions.open(now: 10)
        let third = sessions.open(now: 20)   // over capacity: the oldest goes
        #expect(!sessions.isValid(first, now: 30) && sessions.isValid(second, now: 30) && sessions.isValid(third, now: 30))
        #expect(await AdminAuthentication.disabled.verdict(for: nil, sessions: sessions, now: 0) == .accepted)
        let custom = AdminAuthentication.custom { $0?["token"] == "t" }
        #expect(await custom.verdict(for: ["token": "t"], sessions: sessions, now: 0) == .accepted)
        #expect(await custom.verdict(for: ["token": "u"], sessions: sessions, now: 0) == .refused)
    }

    /// A bcrypt hash in the configuration, as Node's admin-ui takes it: the UI logs in with
    /// the password, and the hash itself is not a password.
    @Test @LoopActor func aBcryptHashLogsInWithThePassword() async throws {
        let hash = "$2b$04$Flagonadminuitestsalt.AzsaC8TzgM8TH18KxnZlFrAAofU6dv."
        let auth = AdminAuthentication.basic(username: "admin", password: hash)
        let sessions = AdminSessions()
        #expect(await auth.verdict(for: ["username": "admin", "password": "pw"], sessions: sessions, now: 0) == .acceptedWithNewSession)
        #expect(await auth.verdict(for: ["username": "admin", "password": .string(hash)], sessions: sessions, now: 0) == .refused)
        #expect(await auth.verdict(for: ["username": "root", "password": "pw"], sessions: sessions, now: 0) == .refused)

        let sio = SocketIOServer()
        let app = App()
        sio.attach(to: app)
        sio.instrument(auth: auth, mode: .production, serverID: "hash")
        let ui = try await SocketIOTestClient.connect(to: app, namespace: "/admin", auth: ["username": "admin", "password": "pw"])
        #expect(await ui.waitFor { $0.contains { $0.name == "session" } })
        await ui.close()
        await #expect(throws: (any Error).self) {
            _ = try await SocketIOTestClient.connect(to: app, namespace: "/admin", auth: ["username": "admin", "password": "nope"])
        }
    }

    @Test func socketDataCarriesTheAdminFieldsOnlyOnTheWire() {
        #expect(AdminInstrumentation.userData(.null) == [:])
        #expect(AdminInstrumentation.userData(["name": "ann", "_admin": ["clientId": "x"]]) == ["name": "ann"])
        #expect(AdminInstrumentation.userData("text") == "text")
        #expect(AdminInstrumentation.ordered(["b", "me", "a"], ownID: "me") == ["me", "a", "b"])
    }

    @LoopActor private func makeServer(mode: AdminMode = .development) -> (App, SocketIOServer) {
        var options = SocketIOOptions()
        options.engine.pingInterval = 60_000
        let sio = SocketIOServer(options: options)
        let app = App()
        sio.attach(to: app)
        sio.instrument(auth: .basic(username: "admin", password: "pw"), mode: mode, serverID: "test-1")
        return (app, sio)
    }

    @Test @LoopActor func theUIHearsAUsersWholeLifeAndChildNamespaces() async throws {
        let (app, sio) = makeServer()
        sio.on("hello") { socket, args in
            socket.data = ["seen": true]
            socket.join("greeted")
            return args
        }
        sio.of(matching: /\/team-\d+/).on("ping") { (_: Socket) -> String in "pong" }
        let ui = try await SocketIOTestClient.connect(to: app, namespace: "/admin", auth: ["username": "admin", "password": "pw"])
        #expect(await ui.waitFor { $0.contains { $0.name == "all_sockets" } })
        #expect(ui.received(namespace: "/admin").map(\.name).prefix(2) == ["session", "config"])

        let user = try await SocketIOTestClient.connect(to: app, namespace: "/team-7")
        let sid = try await user.connect(namespace: "/")
        #expect(try await user.emitWithAck("hello", ["hi"]) == ["hi"])
        #expect(try await user.emitWithAck("ping", [], namespace: "/team-7") == ["pong"])
        user.disconnect(namespace: "/")
        let expected = ["socket_connected", "event_received", "socket_updated", "room_joined", "socket_disconnected", "room_left"]
        #expect(await ui.waitFor { events in
            let names = events.filter { $0.arguments.contains(.string(sid)) || $0.arguments.first?["id"] == .string(sid) }.map(\.name)
            return expected.allSatisfy(names.contains)
        })
        let events = ui.received(namespace: "/admin")
        let updated = events.first { $0.name == "socket_updated" }
        #expect(updated?.arguments == [["id": .string(sid), "nsp": "/", "data": ["seen": true]]])
        let joined = events.first { $0.name == "room_joined" && $0.arguments.dropFirst().first == "greeted" }
        #expect(joined?.arguments.prefix(3) == ["/", "greeted", .string(sid)])
        #expect(events.contains { $0.name == "event_received" && $0.arguments.first == "/team-7" })
        #expect(events.contains { $0.name == "socket_disconnected" && $0.arguments.prefix(3) == ["/", .string(sid), "client namespace disconnect"] })
        await user.close()
        await ui.close()
    }

    @Test @LoopActor func productionModeReportsStatisticsOnly() async throws {
        let (app, _) = makeServer(mode: .production)
        let ui = try await SocketIOTestClient.connect(to: app, namespace: "/admin", auth: ["username": "admin", "password": "pw"])
        #expect(await ui.waitFor { $0.contains { $0.name == "server_stats" } })
        let user = try await SocketIOTestClient.connect(to: app)
        await user.close()
        await LoopTimer.sleep(milliseconds: 50)
        #expect(Set(ui.received(namespace: "/admin").map(\.name)) == ["session", "config", "server_stats"])
        await ui.close()
    }

    @Test @LoopActor func aWatchedConnectDisconnectCycleRetainsNothing() async throws {
        let (app, sio) = makeServer()
        let tracked = Tracked()
        sio.onConnect { socket, _ in tracked.add(socket: socket) }
        sio.on("echo") { _, args in args }
        let ui = try await SocketIOTestClient.connect(to: app, namespace: "/admin", auth: ["username": "admin", "password": "pw"])
        for _ in 0..<20 {
            let user = try await SocketIOTestClient.connect(to: app)
            _ = try await user.emitWithAck("echo", ["x"])
            await user.close()
        }
        for _ in 0..<200 where !tracked.alive.isEmpty { await LoopTimer.sleep(milliseconds: 5) }
        #expect(tracked.count >= 20 * 3 && tracked.alive.isEmpty, "\(tracked.alive)")
        #expect(await ui.waitFor { $0.filter { $0.name == "socket_disconnected" }.count == 20 })
        await ui.close()
    }
}
