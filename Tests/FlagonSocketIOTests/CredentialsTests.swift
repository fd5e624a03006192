import Flagon
import FlagonJSON
import FlagonLoop
import FlagonMacros
import FlagonTesting
import Testing
@testable import FlagonSocketIO

/// A controller whose `erase` needs the scope "board:admin".
@SocketNamespace
final class BoardController: NamespaceController {
    override class var requiredScopes: [String: String] { ["erase": "board:admin"] }

    override func on_connect(auth: JSONValue?) async throws {
        let scopes = Set((auth?["scopes"]?.arrayValue ?? []).compactMap(\.stringValue))
        socket.grantCredentials(.valid(for: 60_000, scopes: scopes))
    }

    func on_draw() -> String { "drawn" }
    func on_erase() -> String { "erased" }
}

/// Expiring credentials with in-process clients: the warning, a refresh (and a refused one),
/// the expiry with its disconnect, revocation, and scopes on a controller. With real clients
/// across workers and servers: Tests/Interop/live_checks.py.
@Suite struct CredentialsTests {
    @LoopActor private func credentialsApp(reasons: DisconnectReasons) -> (App, Namespace) {
        let sio = SocketIOServer()
        let app = App()
        let nsp = sio.of("/c")
        nsp.onConnect { socket, auth in
            if let lifetime = auth?["ms"]?.intValue { socket.grantCredentials(.valid(for: lifetime, scopes: ["read"])) }
        }
        nsp.onDisconnect { _, reason in reasons.seen.append(reason) }
        nsp.on("refresh") { (socket: Socket, lifetime: Int) -> Bool in
            guard lifetime > 0 else { return false }   // the app refuses: the old expiry stands
            socket.grantCredentials(.valid(for: lifetime))
            return true
        }
        nsp.on("revoke") { (socket: Socket) -> Bool in
            socket.revokeCredentials()
            return true
        }
        nsp.on("scopes") { (socket: Socket) -> [String] in (socket.credentials?.scopes ?? []).sorted() }
        sio.register(BoardController.self, namespace: "/board")
        sio.attach(to: app)
        return (app, nsp)
    }

    @LoopActor final class DisconnectReasons {
        var seen: [DisconnectReason] = []
    }

    @Test @LoopActor func credentialsWarnThenExpireWithADisconnect() async throws {
        let reasons = DisconnectReasons()
        let (app, nsp) = credentialsApp(reasons: reasons)
        let started = EventLoop.shared.nowMilliseconds
        let client = try await SocketIOTestClient.connect(to: app, namespace: "/c", auth: ["ms": 1500])
        // (Nothing asked of it before it expires: a loaded test run may delay an answer that long.)
        let lasting = try await SocketIOTestClient.connect(to: app, namespace: "/c", auth: ["ms": 60_000])
        #expect(try await lasting.emitWithAck("scopes", [], namespace: "/c") == [["read"]])
        // A validity of 1,500 ms: the warning at max(1500 − 1000, 750) = 750 ms, with about 750 left.
        #expect(await client.waitFor(timeout: 4000) { $0.contains { $0.name == "credentials_expiring" } })
        let warned = EventLoop.shared.nowMilliseconds - started
        let left = client.received(namespace: "/c").first { $0.name == "credentials_expiring" }?.arguments.first?["inMs"]?.intValue ?? -1
        #expect(warned >= 700 && (1..<1500).contains(left), "warned after \(warned) ms with \(left) ms left")
        #expect(await client.waitFor(timeout: 4000) { $0.contains { $0.name == "credentials_expired" } })
        #expect(EventLoop.shared.nowMilliseconds - started >= 1450)
        #expect(client.received(namespace: "/c").map(\.name) == ["credentials_expiring", "credentials_expired"])
        for _ in 0..<200 where nsp.sockets.count > 1 { await LoopTimer.sleep(milliseconds: 5) }
        #expect(nsp.sockets.count == 1)   // the lasting one
        #expect(reasons.seen == [.credentialsExpired])
        #expect(nsp.statistics.expiredCredentials == 1)
        await client.close()
        await lasting.close()
    }

    @Test @LoopActor func aRefreshPostponesTheExpiryAndARefusalKeepsIt() async throws {
        let reasons = DisconnectReasons()
        let (app, nsp) = credentialsApp(reasons: reasons)
        let refreshed = try await SocketIOTestClient.connect(to: app, namespace: "/c", auth: ["ms": 4000])
        let refused = try await SocketIOTestClient.connect(to: app, namespace: "/c", auth: ["ms": 4000])
        let revoked = try await SocketIOTestClient.connect(to: app, namespace: "/c", auth: ["ms": 4000])
        #expect(try await refreshed.emitWithAck("refresh", [20_000], namespace: "/c") == [true])
        #expect(try await refused.emitWithAck("refresh", [0], namespace: "/c") == [false])
        #expect(try await revoked.emitWithAck("revoke", [], namespace: "/c") == [true])
        #expect(await refused.waitFor(timeout: 8000) { $0.contains { $0.name == "credentials_expired" } })
        await LoopTimer.sleep(milliseconds: 200)   // well past the first expiry
        #expect(!refreshed.received(namespace: "/c").contains { $0.name == "credentials_expired" })
        #expect(revoked.received(namespace: "/c").isEmpty)
        #expect(nsp.sockets.count == 2)
        #expect(reasons.seen == [.credentialsExpired])
        // Credentials granted anew take effect at once: a past expiry ends the socket now.
        let late = try await SocketIOTestClient.connect(to: app, namespace: "/c", auth: ["ms": 1])
        #expect(await late.waitFor(timeout: 2000) { $0.contains { $0.name == "credentials_expired" } })
        for client in [refreshed, refused, revoked, late] { await client.close() }
    }

    @Test @LoopActor func aControllerMethodNeedsItsScope() async throws {
        let (app, _) = credentialsApp(reasons: DisconnectReasons())
        let reader = try await SocketIOTestClient.connect(to: app, namespace: "/board", auth: ["scopes": ["board:read"]])
        #expect(try await reader.emitWithAck("draw", [], namespace: "/board") == ["drawn"])
        let refusal: JSONValue = ["error": "scope_required", "event": "erase", "message": "\"erase\" requires the scope \"board:admin\""]
        #expect(try await reader.emitWithAck("erase", [], namespace: "/board") == [refusal])
        #expect(reader.received(namespace: "/board").last == .init(namespace: "/board", name: "scope_required", arguments: [refusal]))
        let admin = try await SocketIOTestClient.connect(to: app, namespace: "/board", auth: ["scopes": ["board:admin"]])
        #expect(try await admin.emitWithAck("erase", [], namespace: "/board") == ["erased"])
        await reader.close()
        await admin.close()
    }
}
