import Foundation

/// Loopback ports for the servers the tests start, shared with the Python checks
/// (`checklib.free_port`) so that two suites running side by side never get the same one.
///
/// A port the kernel hands out (`bind` to port 0) is free only at that moment: another
/// suite can be given it too before either server binds it, and then one server fails to
/// start while its test talks to the other's. Here every port comes from 10000-19999 (below
/// the kernel's ephemeral range, so no outgoing connection takes it) and is held by an
/// exclusive `flock` on `$TMPDIR/flagon-test-ports/<port>` until the process that took it
/// exits (however it exits: the kernel drops the lock).
enum TestPorts {
    static let range = 10_000...19_999

    /// A port no other test process holds and nothing listens on now, held until this process exits.
    static func reserve() throws -> Int {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flagon-test-ports").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for _ in 0..<2000 {
            let port = Int.random(in: range)
            let descriptor = open("\(directory)/\(port)", O_CREAT | O_RDWR | O_CLOEXEC, 0o666)
            guard descriptor >= 0 else { continue }
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0, canBind(port) else {
                close(descriptor)
                continue
            }
            return port   // the descriptor stays open: the lock lasts as long as this process
        }
        throw NoFreePort()
    }

    /// Whether a listening socket could bind 127.0.0.1:`port` now.
    private static func canBind(_ port: Int) -> Bool {
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketDescriptor >= 0 else { return false }
        defer { close(socketDescriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socketDescriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    struct NoFreePort: Error, CustomStringConvertible {
        var description: String { "no free loopback port in \(TestPorts.range)" }
    }
}
