import Foundation

/// Which real peers this machine has. The interop tests run only where their tools exist,
/// so a plain `swift test` on a bare machine skips them (with the reason); the test command
/// sets `FLAGON_REQUIRE_INTEROP=1`, which runs them regardless, so that a missing tool is a
/// failure there and never a silent skip.
enum InteropTools {
    /// `true` when the environment demands every interop test.
    static var required: Bool { ProcessInfo.processInfo.environment["FLAGON_REQUIRE_INTEROP"] == "1" }

    /// The Python virtualenv with the interop clients (`scripts/setup-interop`).
    static var python: Bool { isExecutable(ExternalProcess.python) }
    /// The Autobahn runner in that virtualenv.
    static var kosoku: Bool { isExecutable(ExternalProcess.venvTool("kosoku")) }
    /// Headless Chromium (`scripts/setup --test`).
    static var chromium: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") }
    /// redis-server (`scripts/setup --test`).
    static var redis: Bool { FileManager.default.isExecutableFile(atPath: RedisServer.binary) }
    /// nginx (`scripts/setup --test`).
    static var nginx: Bool { FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx") }
    /// A built executable of the package (`swift build`).
    static func server(_ name: String) -> Bool { isExecutable(ServerProcess.binary(name)) }

    /// Whether a test needing `tools` runs.
    static func runnable(_ tools: Bool...) -> Bool { required || tools.allSatisfy { $0 } }

    private static func isExecutable(_ url: URL) -> Bool { FileManager.default.isExecutableFile(atPath: url.path) }
}
