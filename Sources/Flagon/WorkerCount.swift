#if canImport(Glibc)
import Glibc
#endif

/// How many workers serve one port: each a process with its own event loop and core.
///
/// ```swift
/// try await app.run(workers: .auto)      // one per core
/// try await app.run(workers: .count(4))
/// ```
public enum WorkerCount: Sendable, Equatable {
    /// One worker per core the process may run on.
    case auto
    /// Exactly this many (at least 1).
    case count(Int)

    /// The number of workers.
    public var resolved: Int {
        switch self {
        case .auto: return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        case .count(let count): return max(1, count)
        }
    }

    /// Reads `auto` or a number ≥ 1 (`FLAGON_WORKERS`, the conformance server's `WORKERS`);
    /// `nil` for anything else.
    public init?(parsing text: String?) {
        guard let text = text?.trimmingSpaces, !text.isEmpty else { return nil }
        if text.lowercased() == "auto" {
            self = .auto
        } else if let count = Int(text), count >= 1, count <= WorkerIdentity.maxWorkers {
            self = .count(count)
        } else {
            return nil
        }
    }

    /// `FLAGON_WORKERS` from the environment, else one worker.
    public static var fromEnvironment: WorkerCount {
        WorkerCount(parsing: getenv("FLAGON_WORKERS").map { String(cString: $0) }) ?? .count(1)
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
