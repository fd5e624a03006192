import Flagon
import FlagonHTTP
import FlagonJSON
import FlagonLoop
import FlagonTesting
import Testing
import FlagonMacros
@testable import FlagonSocketIO

@SocketNamespace
final class ProfileController: NamespaceController {
    func on_whoami() -> JSONValue { session["user"] ?? .null }

    func on_rename(_ name: String) -> Bool {
        session["user"] = .string(name)
        return true
    }
}

@LoopActor
private func sessionApp(backend: SessionMiddleware.Backend, manageSession: Bool) -> App {
    let sessions = SessionMiddleware(secretKey: "a test key for sessions, long enough", backend: backend)
    let app = App()
    app.use(sessions)
    app.post("/login") { request in
        request.session["user"] = .string(try request.form()["user"] ?? "")
        return "ok"
    }
    app.get("/me") { request in Response.text(request.session["user"]?.stringValue ?? "nobody") }
    let sio = SocketIOServer(sessions: sessions, manageSession: manageSession)
    sio.register(ProfileController.self, namespace: "/profile")
    sio.attach(to: app)
    return app
}

@Suite struct ManageSessionTests {
    @LoopActor private func live(_ app: App) throws -> (Server, Int) {
        var options = ServerOptions()
        options.host = "127.0.0.1"
        options.port = 0
        options.handleSignals = false
        let server = try Server(app: app, options: options)
        return (server, try server.start())
    }

    @Test(arguments: [true, false])
    @LoopActor func managedSessionsAreACopyTakenAtConnect(serverSide: Bool) async throws {
        let app = sessionApp(backend: serverSide ? .server(MemorySessionStore()) : .cookie, manageSession: true)
        let (server, port) = try live(app)
        let http = LiveTestClient(port: port)
        _ = try await http.post("/login", form: [("user", "ada")])
        let cookie = try #require(http.jar.cookies["session"])
        let socket = try await SocketIOTestClient.connect(to: LiveHandler(port: port), namespace: "/profile",
                                                          headers: ["Cookie": "session=\(cookie)"])
        #expect(try await socket.emitWithAck("whoami", [], namespace: "/profile") == ["ada"])
        #expect(try await socket.emitWithAck("rename", ["grace"], namespace: "/profile") == [true])
        #expect(try await socket.emitWithAck("whoami", [], namespace: "/profile") == ["grace"])
        #expect(try await http.get("/me").text == "ada")   // the change stayed in Socket.IO
        _ = try await http.post("/login", form: [("user", "linus")])
        #expect(try await socket.emitWithAck("whoami", [], namespace: "/profile") == ["grace"])   // nor the other way
        await socket.close()
        http.close()
        await server.shutdown()
    }

    @Test @LoopActor func unmanagedSessionsShareTheServerSideStoreBothWays() async throws {
        let app = sessionApp(backend: .server(MemorySessionStore()), manageSession: false)
        let (server, port) = try live(app)
        let http = LiveTestClient(port: port)
        _ = try await http.post("/login", form: [("user", "ada")])
        let cookie = try #require(http.jar.cookies["session"])
        let socket = try await SocketIOTestClient.connect(to: LiveHandler(port: port), namespace: "/profile",
                                                          headers: ["Cookie": "session=\(cookie)"])
        #expect(try await socket.emitWithAck("whoami", [], namespace: "/profile") == ["ada"])
        #expect(try await socket.emitWithAck("rename", ["grace"], namespace: "/profile") == [true])
        #expect(try await http.get("/me").text == "grace")          // an event's write reaches HTTP
        _ = try await http.post("/login", form: [("user", "linus")])
        #expect(try await socket.emitWithAck("whoami", [], namespace: "/profile") == ["linus"])   // and back
        await socket.close()
        http.close()
        await server.shutdown()
    }

    @Test @LoopActor func unmanagedCookieSessionsAreRefusedAtStartUp() {
        let app = sessionApp(backend: .cookie, manageSession: false)
        #expect {
            try app.build()
        } throws: { error in
            guard case AppBuildError.invalidConfiguration(let message) = error else { return false }
            return message.contains("server-side session store") && message.contains("cannot set a cookie")
        }
    }
}
