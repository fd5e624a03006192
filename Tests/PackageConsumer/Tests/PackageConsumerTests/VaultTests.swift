import Flagon            // brings LoopActor and the JSON types
import FlagonSocketIO
import FlagonTesting
import FlagonMacros      // the @SocketNamespace macro (its own product)
import Testing

@SocketNamespace(initialACL: ["login"])
final class Vault: NamespaceController {
    func on_login(_ password: String) -> Bool {
        guard password == "letmein" else { return false }
        allow(.open, .add, .logout)
        return true
    }
    func on_open() -> String { "opened" }
    func on_add(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> Int { a + b + c + d }
    func on_logout() { resetACL() }
}

@Test @LoopActor func vault() async throws {
    let app = App()
    let sio = SocketIOServer()
    sio.register(Vault.self, namespace: "/vault")
    sio.attach(to: app)
    let client = try await SocketIOTestClient.connect(to: app, namespace: "/vault")
    let denied = try await client.emitWithAck("open", [], namespace: "/vault")
    #expect(denied.first?["error"] == "method_access_denied")
    #expect(try await client.emitWithAck("login", ["letmein"], namespace: "/vault") == [true])
    #expect(try await client.emitWithAck("open", [], namespace: "/vault") == ["opened"])
    #expect(try await client.emitWithAck("add", [1, 2, 3, 4], namespace: "/vault") == [10])
}

@Test @LoopActor func closuresTakeTypedParameters() async throws {
    let app = App()
    let sio = SocketIOServer()
    sio.of("/math").on("add") { (socket: Socket, a: Int, b: Int) -> Int in a + b }
    sio.attach(to: app)
    let client = try await SocketIOTestClient.connect(to: app, namespace: "/math")
    #expect(try await client.emitWithAck("add", [2, 3], namespace: "/math") == [5])
    await client.close()
}
