import Foundation

/// `swift run bench` builds a debug binary, whose figures mean nothing: that binary builds
/// the release product (progress shown) and becomes it, with the same arguments.
/// `--debug-build` keeps the debug binary (to debug the bench itself).
enum ReleaseRelaunch {
    static let keepDebugFlag = "--debug-build"

    /// Returns only when the debug binary should run; otherwise builds, then replaces this
    /// process with the release binary (or exits with the build's failure).
    static func relaunchInRelease(arguments: [String]) {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = root.appendingPathComponent("scripts/release-build")
        print("bench: a debug build measures nothing; building the release bench (\(keepDebugFlag) to keep this one)", to: &standardError)
        let build = Process()
        build.currentDirectoryURL = root
        if FileManager.default.isExecutableFile(atPath: script.path) {
            build.executableURL = script
            build.arguments = ["bench"]
        } else {
            build.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            build.arguments = ["swift", "build", "-c", "release", "--scratch-path", ".build-release", "--product", "bench"]
        }
        do {
            try build.run()   // inherits stdout and stderr: the build's progress shows
            build.waitUntilExit()
        } catch {
            print("bench: cannot start the release build: \(error)", to: &standardError)
            exit(1)
        }
        guard build.terminationStatus == 0 else { exit(build.terminationStatus) }
        let binary = root.appendingPathComponent(".build-release/release/bench").path
        let argv = ([binary] + arguments).map { strdup($0) } + [nil]
        execv(binary, argv)
        print("bench: cannot run \(binary): \(String(cString: strerror(errno)))", to: &standardError)
        exit(1)
    }
}

/// Standard error as a text stream (for `print(_:to:)`).
// nonisolated(unsafe): a stateless wrapper around FileHandle.standardError; `print(_:to:)` needs
// it inout, and it holds nothing that concurrent writes could tear.
nonisolated(unsafe) var standardError = StandardError()

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) { FileHandle.standardError.write(Data(string.utf8)) }
}
