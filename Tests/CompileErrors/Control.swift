// expect: nothing (the same flags compile a correct controller, so the errors above are real)
import FlagonMacros
import FlagonSocketIO

struct Score: Codable, EventArgument, JSONConvertible { let points: Int }

@SocketNamespace(initialACL: ["login"])
final class Vault: NamespaceController {
    func on_login() -> Bool { allow(.open); return true }
    func on_open(_ score: Score, _ note: String?) async throws -> Score { score }
}

@LoopActor func declare(_ sio: SocketIOServer) {
    sio.on("get") { (socket: Socket, id: Int) -> Score in Score(points: id) }
    sio.register(Vault.self, namespace: "/vault")
}

// An @EventPayload struct, public, with a nested one: a parameter and an ack.
@EventPayload
public struct Place {
    public let name: String
    public let at: Spot?
}

@EventPayload
public struct Spot {
    public let x: Double
    public let y: Double
}

@LoopActor func registerPlaces(_ sio: SocketIOServer) {
    sio.on("place") { (_: Socket, place: Place) -> Place in place }
}
