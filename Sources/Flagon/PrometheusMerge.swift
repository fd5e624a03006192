/// Merges the Prometheus texts of several workers into one scrape (sans-IO): each family's
/// `# HELP` and `# TYPE` once, then every worker's samples of it, each with a `worker`
/// label, so that the families stay grouped as the format requires.
///
/// ```swift
/// PrometheusMerge.merge([(0, "# TYPE up gauge\nup 1\n"), (1, "# TYPE up gauge\nup 1\n")])
/// // "# TYPE up gauge\nup{worker=\"0\"} 1\nup{worker=\"1\"} 1\n"
/// ```
public enum PrometheusMerge {
    private struct Family {
        var help: Substring?
        var type: Substring?
        var samples: [String] = []
    }

    /// One text of every worker's families, in the order they first appear.
    public static func merge(_ texts: [(worker: Int, text: String)]) -> String {
        var order: [Substring] = []
        var families: [Substring: Family] = [:]
        for (worker, text) in texts {
            var current: Substring = ""
            for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
                if line.hasPrefix("#") {
                    let parts = line.split(separator: " ", maxSplits: 3)
                    guard parts.count >= 3, parts[1] == "HELP" || parts[1] == "TYPE" else { continue }
                    current = parts[2]
                    if families[current] == nil {
                        families[current] = Family()
                        order.append(current)
                    }
                    // Each family's comments as the first worker that has them wrote them.
                    if parts[1] == "HELP" {
                        if families[current]!.help == nil { families[current]!.help = line }
                    } else if families[current]!.type == nil {
                        families[current]!.type = line
                    }
                    continue
                }
                let name = line.prefix { $0 != "{" && $0 != " " }
                let family = current.isEmpty || !name.hasPrefix(current) ? name : current
                if families[family] == nil {
                    families[family] = Family()
                    order.append(family)
                }
                families[family]!.samples.append(labelled(line, name: name, worker: worker))
            }
        }
        var out = ""
        for name in order {
            guard let family = families[name] else { continue }
            if let help = family.help { out += help + "\n" }
            if let type = family.type { out += type + "\n" }
            for sample in family.samples { out += sample + "\n" }
        }
        return out
    }

    /// `line` with `worker="N"` added to its labels.
    private static func labelled(_ line: Substring, name: Substring, worker: Int) -> String {
        let rest = line.dropFirst(name.count)
        if rest.hasPrefix("{") {
            let inside = rest.dropFirst()
            return inside.hasPrefix("}") ? "\(name){worker=\"\(worker)\"\(inside)" : "\(name){worker=\"\(worker)\",\(inside)"
        }
        return "\(name){worker=\"\(worker)\"}\(rest)"
    }
}
