/// The content codings Flagon compresses HTTP bodies with, and the choice among those a
/// client accepts (`Accept-Encoding`, with q-values).
public enum ContentCoding: String, Sendable, Equatable {
    case gzip
    case deflate

    /// The preferred coding that `acceptEncoding` allows: the highest q-value, gzip first on
    /// a tie; `*` stands for any coding not named; `q=0` refuses. `nil`: send it as it is.
    ///
    /// ```swift
    /// ContentCoding.preferred("deflate;q=0.5, gzip;q=0.8")   // .gzip
    /// ContentCoding.preferred("gzip;q=0, *")                  // .deflate
    /// ```
    public static func preferred(_ acceptEncoding: String?) -> ContentCoding? {
        guard let acceptEncoding else { return nil }
        var named: [String: Double] = [:]
        var wildcard: Double?
        for part in acceptEncoding.split(separator: ",") {
            let fields = part.split(separator: ";")
            guard let name = fields.first?.trimmingWhitespace().lowercased(), !name.isEmpty else { continue }
            var quality = 1.0
            for parameter in fields.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0].trimmingWhitespace().lowercased() == "q" {
                    quality = Double(pair[1].trimmingWhitespace()).map { min(max($0, 0), 1) } ?? 0
                }
            }
            if name == "*" { wildcard = quality } else { named[name] = quality }
        }
        func quality(_ coding: ContentCoding) -> Double { named[coding.rawValue] ?? wildcard ?? 0 }
        let gzip = quality(.gzip)
        let deflate = quality(.deflate)
        if gzip > 0 && gzip >= deflate { return .gzip }
        if deflate > 0 { return .deflate }
        return nil
    }

    /// The compression format of the coding.
    public var format: Deflate.Format { self == .gzip ? .gzip : .zlib }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String {
        var text = self[...]
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return String(text)
    }
}
