import CCrypt
import FlagonLoop

/// bcrypt password hashes (`$2a$`, `$2b$`, `$2y$`, as Node's bcrypt and bcryptjs, PHP and
/// htpasswd write them), checked with the system's libcrypt on libuv's thread pool: a hash
/// costs tens of milliseconds by design, and the loop goes on meanwhile.
///
/// ```swift
/// BcryptHash.isHash(configured)                                  // "$2b$10$…": true
/// let ok = await BcryptHash.verify(given, against: configured)
/// ```
public enum BcryptHash {
    /// At most this many checks run at once; more are refused at once (a flood of logins
    /// would otherwise hold the thread pool, which also resolves host names).
    public static let maxConcurrentChecks = 2

    /// Counts the checks running, up to a limit.
    @LoopActor
    final class Gate {
        static let shared = Gate(limit: BcryptHash.maxConcurrentChecks)
        let limit: Int
        private(set) var running = 0
        init(limit: Int) { self.limit = limit }
        func enter() -> Bool {
            guard running < limit else { return false }
            running += 1
            return true
        }
        func leave() { running -= 1 }
    }

    /// `true` when `text` has a bcrypt hash's shape: `$2a$`, `$2b$` or `$2y$`, a cost of
    /// 04 to 31, then 53 characters of bcrypt's base-64 alphabet (salt and digest).
    public static func isHash(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 60, bytes[0] == UInt8(ascii: "$"), bytes[1] == UInt8(ascii: "2"),
              [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(bytes[2]),
              bytes[3] == UInt8(ascii: "$"), bytes[6] == UInt8(ascii: "$"),
              let cost = Int(String(decoding: bytes[4..<6], as: UTF8.self)), (4...31).contains(cost)
        else { return false }
        return bytes[7...].allSatisfy { byte in
            byte == UInt8(ascii: ".") || byte == UInt8(ascii: "/") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
        }
    }

    /// The hash of `password` with `setting` (a hash, or its first 29 characters: kind, cost
    /// and salt), on the calling thread; `nil` when libcrypt refuses the setting or the
    /// password holds a NUL byte (which C strings cannot carry).
    public static func hash(_ password: String, setting: String) -> String? {
        guard !password.utf8.contains(0) else { return nil }
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        defer {
            // The scratch space held the password's key schedule.
            UnsafeMutableRawPointer(data).initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<crypt_data>.size)
            data.deallocate()
        }
        UnsafeMutableRawPointer(data).initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<crypt_data>.size)
        guard let result = crypt_rn(password, setting, data, Int32(MemoryLayout<crypt_data>.size)) else { return nil }
        return String(cString: result)
    }

    /// `true` when `password` hashes to `hash` (compared in constant time). `false` as well
    /// when `hash` is not a bcrypt hash, or when ``maxConcurrentChecks`` are running.
    @LoopActor
    public static func verify(_ password: String, against hash: String) async -> Bool {
        await verify(password, against: hash, gate: .shared)
    }

    @LoopActor
    static func verify(_ password: String, against hash: String, gate: Gate) async -> Bool {
        guard isHash(hash), gate.enter() else { return false }
        defer { gate.leave() }
        let computed = await ThreadPool.run { Self.hash(password, setting: hash) }
        guard let computed else { return false }
        return Crypto.constantTimeEqual(Array(computed.utf8), Array(hash.utf8))
    }
}
