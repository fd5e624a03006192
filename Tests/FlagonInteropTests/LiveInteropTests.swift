import Foundation
import Testing

/// Presence, expiring credentials and room history (the conformance server's `/live`,
/// contract section 16) with python-socketio clients and the official JavaScript client: in
/// one process, with two workers, and with two servers on one redis-server, including a
/// killed worker or server (Tests/Interop/live_checks.py).
@Suite struct LiveInteropTests {
    @Test(.enabled(if: InteropTools.runnable(InteropTools.python, InteropTools.redis, InteropTools.server("conformance-server")),
                   "needs .venv (scripts/setup-interop), redis-server (scripts/setup --test) and `swift build`"),
          arguments: ["single", "workers", "cluster"])
    func presenceCredentialsAndHistory(mode: String) async throws {
        try await runLiveChecks(mode: mode, environment: [:])
    }

    /// The same checks with the official JavaScript client in headless Chromium
    /// (Tests/Interop/live_browser.py, CLIENT=browser).
    @Test(.enabled(if: InteropTools.runnable(InteropTools.python, InteropTools.redis, InteropTools.chromium,
                                             InteropTools.server("conformance-server")),
                   "needs .venv and the demo's JavaScript client (scripts/setup-interop, scripts/setup-demo-assets), redis-server and /usr/bin/chromium (scripts/setup --test) and `swift build`"),
          arguments: ["single", "workers", "cluster"])
    func presenceCredentialsAndHistoryWithTheJavaScriptClient(mode: String) async throws {
        try await runLiveChecks(mode: mode, environment: ["CLIENT": "browser", "CHROMIUM": "/usr/bin/chromium"])
    }

    private func runLiveChecks(mode: String, environment: [String: String]) async throws {
        let outcome = try await ExternalProcess.run(
            ExternalProcess.python,
            [ExternalProcess.interopScript("live_checks.py"), mode, ServerProcess.binary("conformance-server").path, RedisServer.binary],
            timeout: 300, environment: environment)
        #expect(!outcome.timedOut)
        #expect(outcome.status == 0, "\(outcome.output.suffix(4000))")
        #expect(outcome.output.contains("6 passed, 0 failed"))
    }
}
