#if canImport(Glibc)
import Glibc
#endif

/// Who this process is when a server runs several workers: its index, how many there are,
/// where their channels live and the listening socket they share. `nil` in a process that
/// serves alone (and in the supervisor).
///
/// ```swift
/// if WorkerIdentity.current?.index ?? 0 == 0 {
///     startNightlyJob()   // once for the whole server
/// }
/// ```
public struct WorkerIdentity: Sendable, Equatable {
    /// The 0-based index of this worker; a replacement keeps the index of the one it replaces.
    public let index: Int
    /// How many workers the server has.
    public let count: Int
    /// The folder of the workers' channels (`w<index>.sock`).
    public let directory: String
    /// The listening sockets the workers share, one per address the server listens on
    /// (``ServerOptions/listen``), in that order.
    public let listenDescriptors: [Int32]
    /// The supervisor's process id.
    public let supervisorPID: Int32
    /// 32 random bytes the supervisor made for the whole server: a secret key that every
    /// worker shares (sessions signed by one worker are valid on the others) when the app
    /// does not set one.
    ///
    /// ```swift
    /// let key = configuredKey ?? WorkerIdentity.current?.sharedSecret ?? Crypto.randomBytes(32)
    /// ```
    public let sharedSecret: [UInt8]

    /// The most workers one server may have (an index fits in an id's two first characters).
    public static let maxWorkers = 4096

    /// The environment variables a supervisor passes to each worker.
    enum Variable {
        static let index = "FLAGON_WORKER_INDEX"
        static let count = "FLAGON_WORKER_COUNT"
        static let directory = "FLAGON_WORKER_DIR"
        static let descriptor = "FLAGON_WORKER_FD"
        static let supervisor = "FLAGON_WORKER_SUPERVISOR"
        static let secret = "FLAGON_WORKER_SECRET"
    }

    /// This process's identity, read once from the environment.
    public static let current: WorkerIdentity? = {
        func read(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
        guard let index = read(Variable.index).flatMap(Int.init), let count = read(Variable.count).flatMap(Int.init),
              let directory = read(Variable.directory),
              let descriptors = read(Variable.descriptor).map({ $0.split(separator: ",").compactMap { Int32($0) } }), !descriptors.isEmpty,
              let supervisor = read(Variable.supervisor).flatMap(Int32.init),
              let secretHex = read(Variable.secret), secretHex.utf8.count == 64,
              count > 1, count <= maxWorkers, index >= 0, index < count
        else { return nil }
        var secret: [UInt8] = []
        var digits = secretHex.utf8.makeIterator()
        while let high = digits.next(), let low = digits.next() {
            guard let byte = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else { return nil }
            secret.append(byte)
        }
        return WorkerIdentity(index: index, count: count, directory: directory, listenDescriptors: descriptors,
                              supervisorPID: supervisor, sharedSecret: secret)
    }()

    /// The channel path of worker `index`.
    public func channelPath(of index: Int) -> String { directory + "/w\(index).sock" }

    /// The worker that keeps what is named `key` (an address, a room): FNV-1a of its bytes
    /// modulo the number of workers, the same in every process.
    public func keeper(of key: String) -> Int {
        var hash: UInt32 = 2_166_136_261
        for byte in key.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return Int(hash % UInt32(count))
    }
}

/// Ids that name the worker that made them (session ids, socket ids, recovery pids): two
/// characters of the URL-safe base64 alphabet for the worker's index before the random part,
/// so that a request is routed to its session's owner in O(1). Alone, a process makes ids
/// without the prefix.
///
/// ```swift
/// let id = WorkerIDs.stamp("Zx9…")     // "ABZx9…" on worker 1 of several
/// WorkerIDs.owner(of: id)              // 1
/// ```
public enum WorkerIDs {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    private static let prefix: String? = WorkerIdentity.current.map { prefix(for: $0.index) }

    /// The two characters that name worker `index`.
    public static func prefix(for index: Int) -> String {
        String(decoding: [alphabet[(index >> 6) & 63], alphabet[index & 63]], as: UTF8.self)
    }

    /// `random` with this worker's prefix (unchanged in a process that serves alone).
    public static func stamp(_ random: String) -> String {
        guard let prefix else { return random }
        return prefix + random
    }

    /// The worker that made `id`, or `nil` when it names none of this server's workers.
    public static func owner(of id: some StringProtocol) -> Int? {
        guard let count = WorkerIdentity.current?.count else { return nil }
        return owner(of: id, workers: count)
    }

    /// The worker that made `id` among `workers`; `nil` when the id is too short or names no
    /// worker.
    public static func owner(of id: some StringProtocol, workers: Int) -> Int? {
        var utf8 = id.utf8.makeIterator()
        guard let first = utf8.next().flatMap(value(of:)), let second = utf8.next().flatMap(value(of:)),
              utf8.next() != nil
        else { return nil }
        let index = first << 6 | second
        return index < workers ? index : nil
    }

    private static func value(of byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return Int(byte - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return Int(byte - UInt8(ascii: "a")) + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(byte - UInt8(ascii: "0")) + 52
        case UInt8(ascii: "-"): return 62
        case UInt8(ascii: "_"): return 63
        default: return nil
        }
    }
}
