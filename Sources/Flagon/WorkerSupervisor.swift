import FlagonLoop
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The primary process of a server with several workers: it opens the listening socket,
/// starts one worker process per slot (this same program, which inherits the socket), and
/// replaces a worker that exits unasked. SIGTERM, SIGINT and SIGHUP are passed on to every
/// worker; the supervisor exits once all of them have stopped after SIGTERM or SIGINT.
///
/// ```swift
/// // First thing in main.swift: the primary supervises from here on and never returns.
/// try await WorkerSupervisor.superviseIfPrimary(.auto, host: "0.0.0.0", port: 8080)
/// ```
@LoopActor
public final class WorkerSupervisor {
    private let count: Int
    private let descriptors: [Int32]
    private let unixPaths: [String]
    private let directory: String
    private let executable: String
    private let arguments: [String]
    private let environment: [String]
    private let logger = Logger.flagon("flagon.supervisor")
    private var children: [ChildProcess?]
    private var startedAt: [UInt64]
    private var quickExits: [Int]
    private var stopping = false
    private var failed = false
    private var signals: [SignalWatcher] = []
    private var done: CheckedContinuation<Void, Never>?

    /// In a process started as a worker, or when `workers` is one, returns at once: the
    /// caller goes on and serves. Otherwise this process becomes the supervisor of `workers`
    /// workers on `host`:`port` and exits when they have stopped; it never returns.
    /// `$FLAGON_LISTEN`, when set, replaces `host` and `port` (as ``App/run(host:port:workers:tls:)`` does).
    public static func superviseIfPrimary(_ workers: WorkerCount, host: String, port: Int) async throws {
        let listen = try App.listenFromEnvironment()
        try await superviseIfPrimary(workers, listen: listen.isEmpty ? [.tcp(host: host, port: port)] : listen)
    }

    /// As ``superviseIfPrimary(_:host:port:)``, on every address of `listen`: the supervisor
    /// opens each socket, and every worker accepts on all of them.
    public static func superviseIfPrimary(_ workers: WorkerCount, listen: [ListenAddress]) async throws {
        guard WorkerIdentity.current == nil else { return }
        let count = workers.resolved
        guard count > 1 else { return }
        let supervisor = try WorkerSupervisor(count: count, listen: listen)
        let status = await supervisor.run()
        exit(status)
    }

    private init(count: Int, listen: [ListenAddress]) throws {
        self.count = count
        var descriptors: [Int32] = [], unixPaths: [String] = [], endpoints: [String] = []
        do {
            for address in listen {
                switch address {
                case .tcp(let host, let port, let ipv6Only):
                    let (descriptor, bound) = try TCPListener.openSharedSocket(host: host, port: port, ipv6Only: ipv6Only)
                    descriptors.append(descriptor)
                    endpoints.append("\(bound)")
                case .unix(let path, let permissions):
                    descriptors.append(try TCPListener.openSharedSocket(unixPath: path, permissions: permissions))
                    unixPaths.append(path)
                    endpoints.append("unix:" + path)
                }
            }
        } catch {
            for descriptor in descriptors { Glibc.close(descriptor) }
            for path in unixPaths { unlink(path) }
            throw error
        }
        self.descriptors = descriptors
        self.unixPaths = unixPaths
        var template = Array("/tmp/flagon-workers.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw UVError(code: -errno, operation: "mkdtemp") }
        directory = String(cString: made)
        var path = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &path, path.count - 1)
        executable = length > 0 ? String(decoding: path[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
        arguments = Array(CommandLine.arguments.dropFirst())
        var environment: [String] = []
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if !text.hasPrefix("FLAGON_WORKER_") { environment.append(text) }
            entry += 1
        }
        self.environment = environment + [
            "\(WorkerIdentity.Variable.count)=\(count)", "\(WorkerIdentity.Variable.directory)=\(directory)",
            "\(WorkerIdentity.Variable.descriptor)=" + descriptors.indices.map { String(3 + $0) }.joined(separator: ","),
            "\(WorkerIdentity.Variable.supervisor)=\(getpid())",
            "\(WorkerIdentity.Variable.secret)=" + Crypto.randomBytes(32).map { String(Int($0) + 0x100, radix: 16).dropFirst() }.joined(),
        ]
        children = Array(repeating: nil, count: count)
        startedAt = Array(repeating: 0, count: count)
        quickExits = Array(repeating: 0, count: count)
        logger.info("Flagon listening on \(endpoints.joined(separator: ", ")) with \(count) workers")
    }

    private func run() async -> Int32 {
        for signal in [SIGTERM, SIGINT, SIGHUP] {
            if let watcher = try? SignalWatcher(signal: signal, { [self] in forward(signal) }) { signals.append(watcher) }
        }
        for index in 0..<count { start(index) }
        await withCheckedContinuation { done = $0 }
        for watcher in signals { watcher.close() }
        for index in 0..<count { unlink(directory + "/w\(index).sock") }
        for path in unixPaths { unlink(path) }
        rmdir(directory)
        return failed ? 1 : 0
    }

    private func start(_ index: Int) {
        guard !stopping else { return }
        do {
            children[index] = try ChildProcess(
                path: executable, arguments: arguments, environment: environment + ["\(WorkerIdentity.Variable.index)=\(index)"],
                inheritedDescriptors: descriptors
            ) { [self] status, signal in exited(index, status: status, signal: signal) }
            startedAt[index] = EventLoop.shared.nowMilliseconds
        } catch {
            logger.error("cannot start worker \(index): \(error); trying again")
            children[index] = nil
            retry(index)
        }
    }

    private func exited(_ index: Int, status: Int64, signal: Int32) {
        children[index] = nil
        if stopping {
            if status != 0 || (signal != 0 && signal != SIGTERM && signal != SIGINT) { failed = true }
            if children.allSatisfy({ $0 == nil }) { finish() }
            return
        }
        logger.warning("worker \(index) exited (status \(status), signal \(signal)); starting a new one")
        let lived = EventLoop.shared.nowMilliseconds - startedAt[index]
        quickExits[index] = lived < 1000 ? quickExits[index] + 1 : 0
        if quickExits[index] == 0 { start(index) } else { retry(index) }
    }

    /// Starts a worker again after a delay that grows while it keeps failing at once.
    private func retry(_ index: Int) {
        let delay = UInt64(min(1000, 50 << min(quickExits[index], 5)))
        var timer: LoopTimer?
        timer = LoopTimer { [self] in
            timer?.close()
            timer = nil
            if children[index] == nil { start(index) }
        }
        timer?.start(afterMilliseconds: delay)
    }

    private func forward(_ signal: Int32) {
        if signal != SIGHUP {
            stopping = true
            logger.info("signal \(signal): stopping \(count) workers")
        }
        for child in children { child?.kill(signal) }
        if stopping && children.allSatisfy({ $0 == nil }) { finish() }
    }

    private func finish() {
        let done = self.done
        self.done = nil
        done?.resume()
    }
}
