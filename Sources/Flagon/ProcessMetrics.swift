#if canImport(Glibc)
import Glibc
#endif

/// The process metrics Prometheus clients usually export (`process_*`), read from Linux's
/// `/proc` at each scrape: resident memory, CPU seconds, open and allowed descriptors, start
/// time. `/proc` files live in memory: reading them does not wait on a disk.
struct ProcessMetrics: Equatable {
    var residentBytes: Int
    var cpuSeconds: Double
    var openDescriptors: Int
    var maxDescriptors: Int
    var startTimeSeconds: Double

    /// Now, for this process; `nil` where `/proc` cannot be read.
    static func current() -> ProcessMetrics? {
        guard let stat = read("/proc/self/stat"), let system = read("/proc/stat") else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        return parse(stat: stat, systemStat: system, ticksPerSecond: ticks, pageSize: pageSize,
                     openDescriptors: countOpenDescriptors(), maxDescriptors: Server.openFileLimit())
    }

    /// From `/proc/self/stat` and `/proc/stat` (sans-IO).
    static func parse(stat: String, systemStat: String, ticksPerSecond: Double, pageSize: Int,
                      openDescriptors: Int, maxDescriptors: Int) -> ProcessMetrics? {
        // The command name (field 2) is in parentheses and may hold spaces: count after it.
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state): field n is fields[n - 3].
        guard fields.count > 21, let user = Double(fields[11]), let system = Double(fields[12]),
              let start = Double(fields[19]), let rssPages = Int(fields[21]) else { return nil }
        guard let line = systemStat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
              let boot = Double(line.dropFirst(6).trimmingSpaces) else { return nil }
        return ProcessMetrics(residentBytes: rssPages * pageSize, cpuSeconds: (user + system) / ticksPerSecond,
                              openDescriptors: openDescriptors, maxDescriptors: maxDescriptors,
                              startTimeSeconds: boot + start / ticksPerSecond)
    }

    func write(into out: inout PrometheusWriter) {
        out.family("process_resident_memory_bytes", type: .gauge, help: "Resident memory size in bytes.")
        out.sample("process_resident_memory_bytes", value: residentBytes)
        out.family("process_cpu_seconds_total", type: .counter, help: "Total user and system CPU time spent in seconds.")
        out.sample("process_cpu_seconds_total", value: cpuSeconds)
        out.family("process_open_fds", type: .gauge, help: "Number of open file descriptors.")
        out.sample("process_open_fds", value: openDescriptors)
        out.family("process_max_fds", type: .gauge, help: "Maximum number of open file descriptors.")
        out.sample("process_max_fds", value: maxDescriptors)
        out.family("process_start_time_seconds", type: .gauge, help: "Start time of the process since unix epoch in seconds.")
        out.sample("process_start_time_seconds", value: startTimeSeconds)
    }

    private static func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 20 {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func countOpenDescriptors() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            if entry.pointee.d_name.0 != CChar(UInt8(ascii: ".")) { count += 1 }
        }
        return max(0, count - 1)   // less the descriptor reading the directory
    }
}
