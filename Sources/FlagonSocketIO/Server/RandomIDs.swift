import Flagon
import FlagonHTTP
import FlagonLoop

/// Session and socket ids (160 random bits, URL-safe Base64): random bytes are drawn from
/// the cryptographic source 64 ids at a time, so a connection (an Engine.IO id, a socket id,
/// a recovery id) costs no call into it most of the time.
@LoopActor
enum RandomIDs {
    private nonisolated static let idBytes = 20
    private static let batch = 64

    private struct Pool {
        var bytes: [UInt8] = []
        var next = 0
    }

    /// The pool, in a cell: `make` reads and changes it in statements that call nothing
    /// that could reach it again.
    private static let pool = LoopConfinedCell.holding(Pool())

    /// A fresh id.
    static func make() -> String {
        var at = pool.value.next
        if at + idBytes > pool.value.bytes.count {
            pool.value.bytes = Crypto.randomBytes(idBytes * batch)
            at = 0
        }
        pool.value.next = at + idBytes
        return take(&pool.value.bytes, at: at)
    }

    /// The id made of the bytes at `at`, which are wiped (the pool never holds an id that was
    /// handed out). Not isolated: a closure handed to the standard library from loop-isolated
    /// code has its isolation checked at run time on every call.
    private nonisolated static func take(_ bytes: inout [UInt8], at: Int) -> String {
        bytes.withUnsafeMutableBytes { all in
            let used = UnsafeMutableRawBufferPointer(rebasing: all[at..<at + idBytes])
            let id = Base64.encodeString(UnsafeRawBufferPointer(used), urlSafe: true)
            used.initializeMemory(as: UInt8.self, repeating: 0)
            return id
        }
    }
}
