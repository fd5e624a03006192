import ConformanceApp
import Flagon
import FlagonLoop
import Foundation
import Testing

/// Starts the conformance app on 127.0.0.1 with an ephemeral port.
@LoopActor
func startConformanceServer() throws -> (Server, Int) {
    var options = ServerOptions()
    options.host = "127.0.0.1"
    options.port = 0
    options.handleSignals = false
    let server = try Server(app: ConformanceApp.make(), options: options)
    return (server, try server.start())
}

/// Interop tests with real peers, each bounded in time.
@Suite(.serialized) struct InteropTests {
    @Test func protocolChecksOfEngineIOAndSocketIO() async throws {
        let (server, port) = try await startConformanceServer()
        let outcome = try await ExternalProcess.run(
            ExternalProcess.python, [ExternalProcess.interopScript("protocol_checks.py"), "http://127.0.0.1:\(port)"], timeout: 240)
        await server.shutdown()
        #expect(!outcome.timedOut)
        #expect(outcome.status == 0, "\(outcome.output)")
        #expect(outcome.output.contains(" passed, 0 failed"))
    }

    @Test func pythonSocketIOClientInEveryTransportMode() async throws {
        let (server, port) = try await startConformanceServer()
        let outcome = try await ExternalProcess.run(
            ExternalProcess.python, [ExternalProcess.interopScript("socketio_client_checks.py"), "http://127.0.0.1:\(port)"],
            timeout: 400)
        await server.shutdown()
        #expect(!outcome.timedOut)
        #expect(outcome.status == 0, "\(outcome.output)")
        #expect(outcome.output.contains(" passed, 0 failed"))
    }

    @Test func autobahnFuzzingCasesOneToSevenAndTenPass() async throws {
        let (server, port) = try await startConformanceServer()
        let reports = FileManager.default.temporaryDirectory.appendingPathComponent("flagon-autobahn-\(port)")
        let outcome = try await ExternalProcess.run(
            ExternalProcess.venvTool("kosoku"),
            ["-x", "9.*", "-x", "11.*", "-x", "12.*", "-x", "13.*", "-p", "4", "-o", reports.path, "ws://127.0.0.1:\(port)/echo"],
            timeout: 300)
        await server.shutdown()
        #expect(!outcome.timedOut)
        #expect(outcome.output.contains("247 cases passed"), "\(outcome.output.suffix(3000))")
    }
}
