import Foundation
import Testing

/// Two conformance servers on one redis-server of the test's own, driven by python-socketio
/// clients; the emitter's messages; faults (garbage, a Redis restart, Redis absent); nginx in
/// front of both (Tests/Interop/cluster_checks.py).
@Suite struct ClusterTests {
    @Test(.enabled(if: InteropTools.runnable(InteropTools.python, InteropTools.redis, InteropTools.nginx,
                                             InteropTools.server("conformance-server"), InteropTools.server("flagon-emit"),
                                             InteropTools.server("demo")),
                   "needs .venv (scripts/setup-interop), redis-server and nginx (scripts/setup --test) and `swift build`"))
    func twoServersShareRoomsBroadcastsAndRequestsThroughRedis() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let outcome = try await ExternalProcess.run(
            ExternalProcess.python,
            [ExternalProcess.interopScript("cluster_checks.py"), ServerProcess.binary("conformance-server").path, RedisServer.binary,
             ServerProcess.binary("flagon-emit").path, "/usr/sbin/nginx", root.appendingPathComponent("Adapters/Redis/deploy/nginx.conf").path,
             ServerProcess.binary("demo").path],
            timeout: 300)
        #expect(!outcome.timedOut)
        #expect(outcome.status == 0, "\(outcome.output.suffix(4000))")
        #expect(outcome.output.contains("17 passed, 0 failed"))
    }

    /// The same cluster on sharded pub/sub (REDIS_SHARDED), in each subscription mode: what the
    /// cluster does, and a Redis restart (Tests/Interop/cluster_checks.py with REDIS_SHARDED).
    @Test(.enabled(if: InteropTools.runnable(InteropTools.python, InteropTools.redis, InteropTools.server("conformance-server"),
                                             InteropTools.server("flagon-emit")),
                   "needs .venv (scripts/setup-interop), redis-server (scripts/setup --test) and `swift build`"),
          arguments: ["static", "dynamic", "dynamic-private"])
    func twoServersShareRoomsOverShardedPubSub(mode: String) async throws {
        let outcome = try await ExternalProcess.run(
            ExternalProcess.python,
            [ExternalProcess.interopScript("cluster_checks.py"), ServerProcess.binary("conformance-server").path, RedisServer.binary,
             ServerProcess.binary("flagon-emit").path],
            timeout: 300, environment: ["REDIS_SHARDED": mode])
        #expect(!outcome.timedOut)
        #expect(outcome.status == 0, "\(outcome.output.suffix(4000))")
        #expect(outcome.output.contains("10 passed, 0 failed"))
    }
}

/// Connection state recovery across processes on one redis-server: after a draining SIGTERM
/// and after SIGKILL of the client's process, and 1,000 clients at once
/// (Tests/Interop/recovery_checks.py).
@Suite struct ClusterRecoveryTests {
    @Test(.enabled(if: InteropTools.runnable(InteropTools.python, InteropTools.redis, InteropTools.server("conformance-server")),
                   "needs .venv (scripts/setup-interop), redis-server (scripts/setup --test) and `swift build`"))
    func aClientRecoversOnAnotherProcessAfterItsProcessStopped() async throws {
        let outcome = try await ExternalProcess.run(
            ExternalProcess.python,
            [ExternalProcess.interopScript("recovery_checks.py"), ServerProcess.binary("conformance-server").path, RedisServer.binary],
            timeout: 300)
        #expect(!outcome.timedOut)
        #expect(outcome.status == 0, "\(outcome.output.suffix(4000))")
        #expect(outcome.output.contains("3 passed, 0 failed"))
    }
}
