import Foundation
import Testing

/// The admin UI's protocol played by python-socketio clients against instrumented
/// conformance servers: development, read-only and production modes, and two servers on
/// one redis-server (Tests/Interop/admin_checks.py).
@Suite struct AdminUITests {
    @Test(.enabled(if: InteropTools.runnable(InteropTools.python, InteropTools.redis, InteropTools.server("conformance-server")),
                   "needs .venv (scripts/setup-interop), redis-server (scripts/setup --test) and `swift build`"))
    func pythonClientsPlayingTheAdminUI() async throws {
        try await runAdminChecks(workers: nil)
    }

    /// The same with every server on two workers: one UI sees both, a session opened on one
    /// worker logs in on the other.
    @Test(.enabled(if: InteropTools.runnable(InteropTools.python, InteropTools.redis, InteropTools.server("conformance-server")),
                   "needs .venv (scripts/setup-interop), redis-server (scripts/setup --test) and `swift build`"))
    func pythonClientsPlayingTheAdminUIWithTwoWorkers() async throws {
        try await runAdminChecks(workers: 2)
    }

    private func runAdminChecks(workers: Int?) async throws {
        let outcome = try await ExternalProcess.run(
            ExternalProcess.python,
            [ExternalProcess.interopScript("admin_checks.py"), ServerProcess.binary("conformance-server").path, RedisServer.binary],
            timeout: 240, environment: workers.map { ["WORKERS": String($0)] } ?? [:])
        #expect(!outcome.timedOut)
        #expect(outcome.status == 0, "\(outcome.output.suffix(4000))")
        #expect(outcome.output.contains("16 passed, 0 failed"))
    }
}
