import Foundation
import Testing

/// Interop tests with real peers against the conformance server in its own process, each
/// bounded in time.
@Suite(.serialized) struct InteropTests {
    @Test func protocolChecksOfEngineIOAndSocketIO() async throws {
        let server = try await ServerProcess.start()
        let port = server.port
        let outcome = try await ExternalProcess.run(
            ExternalProcess.python, [ExternalProcess.interopScript("protocol_checks.py"), "http://127.0.0.1:\(port)"], timeout: 240)
        server.stop()
        #expect(!outcome.timedOut)
        #expect(outcome.status == 0, "\(outcome.output)")
        #expect(outcome.output.contains(" passed, 0 failed"))
    }

    @Test func pythonSocketIOClientInEveryTransportMode() async throws {
        let server = try await ServerProcess.start()
        let port = server.port
        let outcome = try await ExternalProcess.run(
            ExternalProcess.python, [ExternalProcess.interopScript("socketio_client_checks.py"), "http://127.0.0.1:\(port)"],
            timeout: 400)
        server.stop()
        #expect(!outcome.timedOut)
        #expect(outcome.status == 0, "\(outcome.output)")
        #expect(outcome.output.contains(" passed, 0 failed"))
    }

    @Test func autobahnFuzzingCasesOneToSevenAndTenPass() async throws {
        let server = try await ServerProcess.start()
        let port = server.port
        let reports = FileManager.default.temporaryDirectory.appendingPathComponent("flagon-autobahn-\(port)")
        let outcome = try await ExternalProcess.run(
            ExternalProcess.venvTool("kosoku"),
            ["-x", "9.*", "-x", "11.*", "-x", "12.*", "-x", "13.*", "-p", "4", "-o", reports.path, "ws://127.0.0.1:\(port)/echo"],
            timeout: 300)
        server.stop()
        #expect(!outcome.timedOut)
        #expect(outcome.output.contains("247 cases passed"), "\(outcome.output.suffix(3000))")
    }

    @Test func chatDemoInHeadlessChromiumWithAPythonClient() async throws {
        let server = try await ServerProcess.start("demo")
        let outcome = try await ExternalProcess.run(
            ExternalProcess.python,
            [ExternalProcess.interopScript("browser_chat_check.py"), "http://127.0.0.1:\(server.port)", "/usr/bin/chromium"],
            timeout: 180)
        server.stop()
        #expect(!outcome.timedOut)
        #expect(outcome.status == 0, "\(outcome.output)")
        #expect(outcome.output.contains("1 passed, 0 failed"))
    }
}
