import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Process limits and readings the benchmark needs.
enum ResourceLimits {
    /// Raises the open-file limit to its hard maximum (idle runs open 10,000 sockets).
    static func raiseOpenFiles() {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    /// Microseconds on the monotonic clock.
    @inline(__always)
    static func nowMicros() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000 + UInt64(time.tv_nsec) / 1000
    }

    /// CPU seconds (user + system) this process has used.
    static func selfCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// CPU seconds (user + system) of another process and of its child processes that run
    /// now (the workers of a supervisor), from /proc/PID/stat.
    static func cpuSeconds(pid: Int32) -> Double? {
        guard let own = processCPUSeconds(pid: pid) else { return nil }
        return children(of: pid).reduce(own) { $0 + (processCPUSeconds(pid: $1) ?? 0) }
    }

    /// The running children of a process: every /proc/PID/stat whose parent it is (the
    /// kernel's children list is not always there).
    static func children(of pid: Int32) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap(Int32.init).filter { candidate in
            guard let text = readFile("/proc/\(candidate)/stat"), let close = text.lastIndex(of: ")") else { return false }
            let fields = text[text.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == pid   // state, then the parent's pid
        }
    }

    /// Resident memory of a process and its running children in KB.
    static func residentKBWithChildren(pid: Int32) -> Int? {
        guard let own = residentKB(pid: pid) else { return nil }
        return children(of: pid).reduce(own) { $0 + (residentKB(pid: $1) ?? 0) }
    }

    private static func processCPUSeconds(pid: Int32) -> Double? {
        guard let text = readFile("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime field 14, stime field 15 (1-based).
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Resident memory of a process in KB, from /proc/PID/status.
    static func residentKB(pid: Int32) -> Int? {
        guard let text = readFile("/proc/\(pid)/status") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }

    private static func readFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Pins a process to one CPU with `taskset` (util-linux).
    static func pin(pid: Int32, cpu: Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
        process.arguments = ["-cp", String(cpu), String(pid)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try? process.run()
        process.waitUntilExit()
    }

    /// The number of CPUs.
    static var cpuCount: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}
