import Flagon
import FlagonJSON
import FlagonLoop
import FlagonTesting
import Testing
import FlagonMacros
@testable import FlagonSocketIO

struct Move: Decodable, EventArgument, Equatable {
    let x: Int
    let y: Int
}

@SocketNamespace
final class GameController: NamespaceController {
    static var disconnects: [DisconnectReason] = []
    static var ticks = 0
    private var counter = 0

    override func on_connect(auth: JSONValue?) async throws {
        if auth?["refuse"] == true { throw ConnectionRefused("go away", data: ["retry": false]) }
        session["player"] = auth?["name"] ?? "anonymous"
    }

    override func on_disconnect(reason: DisconnectReason) { Self.disconnects.append(reason) }

    override func on_unhandled(event: String, arguments: [JSONValue]) async throws -> [JSONValue]? {
        event.hasPrefix("x-") ? [.string("fallback \(event)"), .int(arguments.count)] : nil
    }

    override func on_error(_ error: any Error, event: String) -> JSONValue? {
        ["failed": .string(event)]
    }

    func on_move(_ move: Move) -> Bool { move.x >= 0 && move.y >= 0 }
    func on_moves(_ moves: [Move]) -> Int { moves.count }
    func on_add(_ a: Int, _ b: Int) -> Int { a + b }
    func on_scale(_ value: Double, _ factor: Double?) -> Double { value * (factor ?? 2) }
    func on_flag(_ flag: Bool) -> String { flag ? "up" : "down" }
    func on_tags(_ tags: [String]) -> String { tags.joined(separator: ",") }
    func on_scores(_ scores: [String: Int]) -> Int { scores.values.reduce(0, +) }
    func on_upload(_ bytes: [UInt8]) -> [UInt8] { bytes.reversed() }
    func on_raw(_ value: JSONValue) -> JSONValue { ["got": value] }
    func on_greet() -> String { "hello \(session["player"]?.stringValue ?? "?")" }
    func on_slow(_ delay: Int) async throws -> String {
        await LoopTimer.sleep(milliseconds: UInt64(delay))
        return "slept \(delay)"
    }
    func on_fail() throws -> Int { throw CancellationError() }
    func on_count() -> Int {
        counter += 1
        return counter
    }
    func on_nothing() {}
    func on_pair(_ a: String, _ b: Int) -> AckArguments { AckArguments(a, b) }
    func on_ticker() {
        spawn {
            while !Task.isCancelled {
                GameController.ticks += 1
                await LoopTimer.sleep(milliseconds: 5)
            }
        }
    }
}

@SocketNamespace(initialACL: ["login"])
final class VaultController: NamespaceController {
    static var opened = 0

    func on_login(_ password: String) -> Bool {
        guard password == "letmein" else { return false }
        allow(.open, .logout)
        return true
    }
    func on_open() -> String {
        Self.opened += 1
        return "opened"
    }
    func on_logout() { resetACL() }
    func on_admin() -> String {
        liftACL()
        deny(.logout)
        return "lifted"
    }
}

struct Score: Codable, Equatable, EventArgument, JSONConvertible {
    let name: String
    let points: Int
    let tags: [String]?
}

/// Parameter packs, Encodable acks and raw arguments.
@SocketNamespace
final class WideController: NamespaceController {
    func on_six(_ a: Int, _ b: Int, _ c: Int, _ d: Int, _ e: Int, _ f: String?) -> String { "\(a + b + c + d + e)\(f ?? "")" }
    func on_best(_ scores: [Score]) -> Score? { scores.max { $0.points < $1.points } }
    func on_tail(_ first: String, _ rest: RawArguments) -> AckArguments { AckArguments(first, rest.values.count) }
    func on_echo(_ args: RawArguments) async -> RawArguments { args }
    @Event("chat message") func on_chat(_ text: String) -> [String] { [text, text] }
}

/// A class whose initial access list names an event it does not have.
final class MisspelledController: NamespaceController {
    override class var initialACL: Set<String>? { ["login", "opne"] }
    static let events = EventTable<MisspelledController> { table in
        table.on("login", MisspelledController.on_login)
    }
    func on_login() {}
}

@SocketNamespace
final class FaultyController: NamespaceController {
    struct Boom: Error {}
    func on_boom() throws -> Int { throw Boom() }
}

@LoopActor
private func controllerApp() -> (App, SocketIOServer) {
    let sio = SocketIOServer()
    sio.register(GameController.self, namespace: "/game")
    sio.register(VaultController.self, namespace: "/vault")
    sio.register(FaultyController.self, namespace: "/faulty")
    sio.register(WideController.self, namespace: "/wide")
    sio.of("/math").on("add") { (socket: Socket, a: Int, b: Int) -> Int in a + b }
    sio.of("/math").on("note") { (socket: Socket, text: String) in socket.emit("noted", .string(text)) }
    sio.of("/math").on("later") { (socket: Socket, a: Double, scale: Double?) async throws -> Double in
        await LoopTimer.sleep(milliseconds: 1)
        return a * (scale ?? 10)
    }
    sio.onErrorDefault = { _, event, error in ["default": .string(event), "type": .string(String(describing: type(of: error)))] }
    sio.on("plain") { _, args in args }   // a closure handler in the same server
    sio.on("double") { (socket: Socket, value: Int) -> Int in value * 2 }
    let app = App()
    sio.attach(to: app)
    return (app, sio)
}

private func deniedObject(_ event: String) -> JSONValue {
    ["error": "method_access_denied", "event": .string(event), "message": .string("You do not have access to method \"\(event)\"")]
}

@Suite(.serialized) struct ControllerTests {
    @Test @LoopActor func argumentsAreDecodedIntoTheMethodsTypes() async throws {
        let (app, _) = controllerApp()
        let client = try await SocketIOTestClient.connect(to: app, namespace: "/game", auth: ["name": "ada"])
        func call(_ event: String, _ args: [JSONValue]) async throws -> [JSONValue] {
            try await client.emitWithAck(event, args, namespace: "/game")
        }
        #expect(try await call("move", [["x": 1, "y": 2]]) == [true])
        #expect(try await call("moves", [[["x": 1, "y": 2], ["x": 3, "y": 4]]]) == [2])
        #expect(try await call("add", [2, 40]) == [42])
        #expect(try await call("scale", [1.5]) == [3])
        #expect(try await call("scale", [1.5, 4]) == [6])
        #expect(try await call("scale", [1.5, nil]) == [3])
        #expect(try await call("flag", [true]) == ["up"])
        #expect(try await call("tags", [["a", "b"]]) == ["a,b"])
        #expect(try await call("scores", [["a": 1, "b": 2]]) == [3])
        #expect(try await call("upload", [.binary([1, 2, 3])]) == [.binary([3, 2, 1])])
        #expect(try await call("raw", [["any": [1, "thing"]]]) == [["got": ["any": [1, "thing"]]]])
        #expect(try await call("greet", []) == ["hello ada"])
        #expect(try await call("slow", [5]) == ["slept 5"])
        #expect(try await call("nothing", []) == [])
        #expect(try await call("pair", ["a", 1]) == ["a", 1])
        // A closure handler on "/" beside the controllers, on the same connection.
        try await client.connect(namespace: "/")
        #expect(try await client.emitWithAck("plain", [7]) == [7])
        #expect(try await client.emitWithAck("double", [21]) == [42])
        await client.close()
    }

    @Test @LoopActor func wrongCountsAndTypesGetAClearErrorNotACrash() async throws {
        let (app, _) = controllerApp()
        let client = try await SocketIOTestClient.connect(to: app, namespace: "/game")
        let tooFew = try await client.emitWithAck("add", [1], namespace: "/game")
        #expect(tooFew == [["error": "invalid_arguments", "event": "add",
                            "message": "Invalid arguments for \"add\": expected 2 arguments, got 1"]])
        let wrongType = try await client.emitWithAck("add", [1, "two"], namespace: "/game")
        #expect(wrongType.first?["message"] == "Invalid arguments for \"add\": argument 2: expected an integer, got a string")
        let badStruct = try await client.emitWithAck("move", [["x": 1]], namespace: "/game")
        #expect(badStruct.first?["error"] == "invalid_arguments")
        let tooMany = try await client.emitWithAck("flag", [true, false], namespace: "/game")
        #expect(tooMany.first?["message"] == "Invalid arguments for \"flag\": expected 1 argument, got 2")
        client.emit("add", ["x"], namespace: "/game")   // no ack asked: the client is told by an event
        #expect(await client.waitFor { $0.contains { $0.name == "invalid_arguments" } })
        #expect(try await client.emitWithAck("add", [1, 2], namespace: "/game") == [3])   // still connected
        await client.close()
    }

    @Test @LoopActor func unknownEventsFallbackAndErrors() async throws {
        let (app, _) = controllerApp()
        let client = try await SocketIOTestClient.connect(to: app, namespace: "/game")
        #expect(try await client.emitWithAck("x-custom", [1, 2], namespace: "/game") == ["fallback x-custom", 2])
        #expect(try await client.emitWithAck("nope", [], namespace: "/game")
            == [["error": "unknown_event", "event": "nope", "message": "No handler for event \"nope\""]])
        #expect(try await client.emitWithAck("fail", [], namespace: "/game") == [["failed": "fail"]])
        await client.close()
    }

    @Test @LoopActor func theDefaultErrorHandlerAnswersForClassesWithoutTheirOwn() async throws {
        let (app, _) = controllerApp()
        let client = try await SocketIOTestClient.connect(to: app, namespace: "/faulty")
        #expect(try await client.emitWithAck("boom", [], namespace: "/faulty") == [["default": "boom", "type": "Boom"]])
        await client.close()
    }

    @Test @LoopActor func eachSocketHasItsOwnInstanceAndLifecycle() async throws {
        let (app, _) = controllerApp()
        GameController.disconnects = []
        let a = try await SocketIOTestClient.connect(to: app, namespace: "/game")
        let b = try await SocketIOTestClient.connect(to: app, namespace: "/game")
        #expect(try await a.emitWithAck("count", [], namespace: "/game") == [1])
        #expect(try await a.emitWithAck("count", [], namespace: "/game") == [2])
        #expect(try await b.emitWithAck("count", [], namespace: "/game") == [1])
        await #expect(throws: SocketIOTestClient.ClientError.refused(namespace: "/game", ["message": "go away", "data": ["retry": false]])) {
            try await SocketIOTestClient.connect(to: app, namespace: "/game", auth: ["refuse": true])
        }
        a.disconnect(namespace: "/game")
        for _ in 0..<1000 where GameController.disconnects.isEmpty { await LoopTimer.sleep(milliseconds: 1) }
        await b.close()
        await LoopTimer.sleep(milliseconds: 10)
        #expect(GameController.disconnects == [.clientNamespaceDisconnect, .transportClose])
        await a.close()
    }

    @Test @LoopActor func backgroundTasksAreCancelledAtDisconnect() async throws {
        let (app, _) = controllerApp()
        let client = try await SocketIOTestClient.connect(to: app, namespace: "/game")
        GameController.ticks = 0
        _ = try await client.emitWithAck("ticker", [], namespace: "/game")
        await LoopTimer.sleep(milliseconds: 40)
        #expect(GameController.ticks > 2)
        await client.close()
        await LoopTimer.sleep(milliseconds: 20)
        let stopped = GameController.ticks
        await LoopTimer.sleep(milliseconds: 40)
        #expect(GameController.ticks == stopped)
    }

    @Test @LoopActor func aclLoginFlowOpensAndResetsMethods() async throws {
        let (app, _) = controllerApp()
        VaultController.opened = 0
        let client = try await SocketIOTestClient.connect(to: app, namespace: "/vault")
        // Denied: the method does not run; event first, then the ack.
        #expect(try await client.emitWithAck("open", [], namespace: "/vault") == [deniedObject("open")])
        #expect(VaultController.opened == 0)
        #expect(client.received(namespace: "/vault").last == .init(namespace: "/vault", name: "method_access_denied", arguments: [deniedObject("open")]))
        #expect(try await client.emitWithAck("ghost", [], namespace: "/vault") == [deniedObject("ghost")])   // no method at all
        #expect(try await client.emitWithAck("login", ["wrong"], namespace: "/vault") == [false])
        #expect(try await client.emitWithAck("open", [], namespace: "/vault") == [deniedObject("open")])
        #expect(try await client.emitWithAck("login", ["letmein"], namespace: "/vault") == [true])
        #expect(try await client.emitWithAck("open", [], namespace: "/vault") == ["opened"])
        #expect(VaultController.opened == 1)
        #expect(try await client.emitWithAck("admin", [], namespace: "/vault") == [deniedObject("admin")])
        #expect(try await client.emitWithAck("logout", [], namespace: "/vault") == [])
        #expect(try await client.emitWithAck("open", [], namespace: "/vault") == [deniedObject("open")])
        #expect(VaultController.opened == 1)
        await client.close()
    }

    @Test @LoopActor func aclOperationsOnTheInstance() async throws {
        let (app, sio) = controllerApp()
        let client = try await SocketIOTestClient.connect(to: app, namespace: "/vault")
        let controller = try #require(sio.of("/vault").sockets.values.first?.controller)
        #expect(controller.isAllowed("login") && !controller.isAllowed("open"))
        controller.allow("open")
        #expect(controller.isAllowed("open"))
        controller.deny("open")
        #expect(!controller.isAllowed("open"))
        controller.liftACL()
        #expect(controller.isAllowed("anything") && !controller.isRestricted)
        controller.deny("admin")
        #expect(!controller.isAllowed("admin") && controller.isAllowed("open"))
        controller.resetACL()
        #expect(controller.isAllowed("login") && !controller.isAllowed("open"))
        await client.close()
    }

    @Test @LoopActor func theGeneratedEventEnumDrivesTheACL() async throws {
        let (app, sio) = controllerApp()
        let client = try await SocketIOTestClient.connect(to: app, namespace: "/vault")
        let controller = try #require(sio.of("/vault").sockets.values.first?.controller as? VaultController)
        #expect(VaultController.Event.allCases.map(\.name) == ["login", "open", "logout", "admin"])
        #expect(controller.isAllowed(.login) && !controller.isAllowed(.open))
        controller.allow(.open, .admin)
        #expect(controller.isAllowed(.open) && controller.isAllowed("admin"))
        controller.deny(.open)
        #expect(!controller.isAllowed(.open))
        controller.liftACL()
        #expect(controller.isAllowed(.open) && !controller.isRestricted)
        controller.resetACL()
        #expect(!controller.isAllowed(.open) && controller.isRestricted)
        await client.close()
    }

    @Test @LoopActor func anyNumberOfParametersEncodableAcksAndRawArguments() async throws {
        let (app, _) = controllerApp()
        let client = try await SocketIOTestClient.connect(to: app, namespace: "/wide")
        func call(_ event: String, _ args: [JSONValue]) async throws -> [JSONValue] {
            try await client.emitWithAck(event, args, namespace: "/wide")
        }
        #expect(try await call("six", [1, 2, 3, 4, 5, "!"]) == ["15!"])
        #expect(try await call("six", [1, 2, 3, 4, 5]) == ["15"])
        #expect(try await call("six", [1, 2, 3, 4]).first?["message"]
            == "Invalid arguments for \"six\": expected 5 to 6 arguments, got 4")
        let scores: JSONValue = [["name": "ada", "points": 3], ["name": "bob", "points": 5, "tags": ["x"]]]
        #expect(try await call("best", [scores]) == [["name": "bob", "points": 5, "tags": ["x"]]])
        #expect(try await call("best", [[]]) == [nil])
        #expect(try await call("best", [[["name": "ada"]]]).first?["message"]
            == "Invalid arguments for \"best\": argument 1: element 0: expected Score: missing key \"points\"")
        #expect(try await call("tail", ["a", 1, 2, 3]) == ["a", 3])
        #expect(try await call("tail", []).first?["message"] == "Invalid arguments for \"tail\": expected at least 1 arguments, got 0")
        #expect(try await call("echo", [1, "two", .binary([3])]) == [1, "two", .binary([3])])
        #expect(try await call("chat message", ["hi"]) == [["hi", "hi"]])
        await client.close()
    }

    @Test @LoopActor func closureHandlersDecodeTypedParameters() async throws {
        let (app, _) = controllerApp()
        let client = try await SocketIOTestClient.connect(to: app, namespace: "/math")
        #expect(try await client.emitWithAck("add", [20, 22], namespace: "/math") == [42])
        #expect(try await client.emitWithAck("add", [20, "x"], namespace: "/math").first?["message"]
            == "Invalid arguments for \"add\": argument 2: expected an integer, got a string")
        #expect(try await client.emitWithAck("note", ["hello"], namespace: "/math") == [])
        #expect(client.received(namespace: "/math").contains { $0.name == "noted" && $0.arguments == ["hello"] })
        #expect(try await client.emitWithAck("later", [1.5], namespace: "/math") == [15])
        #expect(try await client.emitWithAck("later", [1.5, 2], namespace: "/math") == [3])
        await client.close()
    }

    @Test @LoopActor func anInitialACLNamingNoEventStopsTheAppFromStarting() async throws {
        let sio = SocketIOServer()
        sio.register(MisspelledController.self, namespace: "/typo")
        let app = App()
        sio.attach(to: app)
        #expect(throws: AppBuildError.invalidConfiguration(
            "register(MisspelledController.self, namespace: \"/typo\"): MisspelledController.initialACL names \"opne\", "
                + "which is not an event of the class (its events: login)")) {
            try app.build()
        }
    }
}
