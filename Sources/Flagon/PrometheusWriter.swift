/// Writes metrics in the Prometheus text exposition format (version 0.0.4).
///
/// ```swift
/// var out = PrometheusWriter()
/// out.family("flagon_jobs_total", type: .counter, help: "Jobs done.")
/// out.sample("flagon_jobs_total", labels: [("queue", "mail")], value: 42)
/// let text = out.text
/// ```
public struct PrometheusWriter: Sendable {
    /// A metric's type.
    public enum MetricType: String, Sendable {
        case counter, gauge, histogram
    }

    /// The text written so far.
    public private(set) var text = ""
    private var declared: Set<String> = []

    /// An empty exposition.
    public init() {}

    /// Declares a metric family (`# HELP` and `# TYPE`), once.
    public mutating func family(_ name: String, type: MetricType, help: String) {
        guard declared.insert(name).inserted else { return }
        text += "# HELP \(name) \(help.replacingBackslashesAndNewlines())\n# TYPE \(name) \(type.rawValue)\n"
    }

    /// Writes one sample.
    public mutating func sample(_ name: String, labels: [(String, String)] = [], value: Double) {
        text += name
        if !labels.isEmpty {
            text += "{"
            text += labels.map { "\($0.0)=\"\($0.1.escapedLabelValue())\"" }.joined(separator: ",")
            text += "}"
        }
        text += " "
        text += value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
        text += "\n"
    }

    /// Writes one sample of an integer.
    public mutating func sample(_ name: String, labels: [(String, String)] = [], value: Int) {
        sample(name, labels: labels, value: Double(value))
    }

    /// A counter with one value.
    public mutating func counter(_ name: String, help: String, value: Int) {
        family(name, type: .counter, help: help)
        sample(name, value: value)
    }

    /// A gauge with one value.
    public mutating func gauge(_ name: String, help: String, value: Int) {
        family(name, type: .gauge, help: help)
        sample(name, value: value)
    }

    /// A histogram: cumulative counts per upper bound (`le`), the sum and the count.
    public mutating func histogram(_ name: String, help: String, bounds: [Double], counts: [Int], sum: Double) {
        family(name, type: .histogram, help: help)
        var cumulative = 0
        for (bound, count) in zip(bounds, counts) {
            cumulative += count
            sample(name + "_bucket", labels: [("le", "\(bound)")], value: cumulative)
        }
        let total = counts.reduce(0, +)
        sample(name + "_bucket", labels: [("le", "+Inf")], value: total)
        sample(name + "_sum", value: sum)
        sample(name + "_count", value: total)
    }
}

extension String {
    fileprivate func replacingBackslashesAndNewlines() -> String {
        var out = ""
        for character in self {
            switch character {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    fileprivate func escapedLabelValue() -> String {
        var out = ""
        for character in self {
            switch character {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\"": out += "\\\""
            default: out.append(character)
            }
        }
        return out
    }
}
