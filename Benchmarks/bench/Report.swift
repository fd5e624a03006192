import Foundation

/// Prints the table and writes it as JSON and Markdown.
enum Report {
    static func format(_ value: Double?, digits: Int = 0) -> String {
        guard let value else { return "–" }
        return String(format: "%.\(digits)f", value)
    }

    static func markdown(_ results: [ScenarioResult], header: String) -> String {
        var lines = [header, "",
                     "| scenario | unit | median | min | max | p50 ms | p99 ms | p999 ms | server CPU s / 100k | generator CPU |",
                     "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for result in results {
            if let error = result.error {
                lines.append("| \(result.name) | | error: \(error) | | | | | | | |")
                continue
            }
            let isMemory = result.unit.hasPrefix("KB")
            let digits = isMemory ? 2 : 0
            lines.append("| \(result.name) | \(result.unit) | \(format(result.median { $0.throughput }, digits: digits)) | "
                + "\(format(result.minimum { $0.throughput }, digits: digits)) | \(format(result.maximum { $0.throughput }, digits: digits)) | "
                + "\(format(result.median { $0.p50ms }, digits: 3)) | \(format(result.median { $0.p99ms }, digits: 3)) | "
                + "\(format(result.median { $0.p999ms }, digits: 3)) | \(format(result.median { $0.serverCPUSecondsPer100k }, digits: 3)) | "
                + (isMemory ? (result.reps.first?.note ?? "") : "\(format(result.median { $0.generatorCPUShare * 100 }))%") + " |")
        }
        return lines.joined(separator: "\n")
    }

    static func write(_ results: [ScenarioResult], header: String, jsonPath: String) {
        let table = markdown(results, header: header)
        print(table)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        if let data = try? encoder.encode(results) {
            _ = FileManager.default.createFile(atPath: jsonPath, contents: data)
        }
        let markdownPath = jsonPath.hasSuffix(".json") ? String(jsonPath.dropLast(5)) + ".md" : jsonPath + ".md"
        _ = FileManager.default.createFile(atPath: markdownPath, contents: Data((table + "\n").utf8))
        print("\nwrote \(jsonPath) and \(markdownPath)")
    }
}
