/// A Flask-style route pattern: `/users/<int:id>`, `/files/<path:rest>`, `/items/<uuid:id>`,
/// `/hello/<name>`. Each parameter fills a whole path segment (`path` fills the rest of the path).
struct RoutePattern: Sendable, Equatable {
    enum Converter: String, Sendable {
        case string, int, float, uuid, path
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(name: String, converter: Converter)
    }

    let text: String
    let segments: [Segment]

    /// Parses a pattern; throws for unknown converters, bad names or a `path` that is not last.
    init(_ text: String) throws(AppBuildError) {
        guard text.hasPrefix("/") else { throw .invalidPattern(text, "must start with /") }
        self.text = text
        var segments: [Segment] = []
        let parts = RoutePattern.split(text)
        for (index, part) in parts.enumerated() {
            if part.hasPrefix("<") && part.hasSuffix(">") {
                let inner = part.dropFirst().dropLast()
                let pieces = inner.split(separator: ":", maxSplits: 1).map(String.init)
                let name = pieces.last ?? ""
                let converterName = pieces.count == 2 ? pieces[0] : "string"
                guard let converter = Converter(rawValue: converterName == "default" ? "string" : converterName) else {
                    throw .invalidPattern(text, "unknown converter \(converterName)")
                }
                guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    throw .invalidPattern(text, "invalid parameter name")
                }
                if converter == .path && index != parts.count - 1 {
                    throw .invalidPattern(text, "a path parameter must come last")
                }
                segments.append(.parameter(name: name, converter: converter))
            } else {
                if part.contains("<") || part.contains(">") { throw .invalidPattern(text, "a parameter must fill a whole segment") }
                segments.append(.literal(part))
            }
        }
        self.segments = segments
    }

    /// Splits a path into segments: `/` → `[]`, `/a/b/` → `["a", "b", ""]`.
    static func split(_ path: String) -> [String] {
        guard path != "/" && !path.isEmpty else { return [] }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    }

    /// `true` when the pattern has no parameter.
    var isStatic: Bool { !segments.contains { if case .parameter = $0 { true } else { false } } }

    /// The pattern with parameter names erased: two routes with the same shape clash.
    var shape: String {
        "/" + segments.map { segment in
            switch segment {
            case .literal(let text): text
            case .parameter(_, let converter): "<\(converter.rawValue)>"
            }
        }.joined(separator: "/")
    }

    /// Matches path segments; returns the parameters.
    func match(_ parts: [String]) -> [String: String]? {
        var values: [String: String] = [:]
        var i = 0
        for segment in segments {
            switch segment {
            case .literal(let text):
                guard i < parts.count, parts[i] == text else { return nil }
                i += 1
            case .parameter(let name, let converter):
                if converter == .path {
                    guard i < parts.count else { return nil }
                    let rest = parts[i...].joined(separator: "/")
                    guard !rest.isEmpty else { return nil }
                    values[name] = rest
                    return values
                }
                guard i < parts.count, RoutePattern.accepts(parts[i], converter) else { return nil }
                values[name] = parts[i]
                i += 1
            }
        }
        return i == parts.count ? values : nil
    }

    static func accepts(_ text: String, _ converter: Converter) -> Bool {
        guard !text.isEmpty else { return false }
        switch converter {
        case .string, .path:
            return true
        case .int:
            return text.utf8.count <= 18 && text.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
        case .float:
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
                && parts.allSatisfy { $0.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }
        case .uuid:
            let utf8 = Array(text.utf8)
            guard utf8.count == 36 else { return false }
            for (index, byte) in utf8.enumerated() {
                if [8, 13, 18, 23].contains(index) {
                    if byte != 45 { return false }
                } else if !((48...57).contains(byte) || (97...102).contains(byte) || (65...70).contains(byte)) {
                    return false
                }
            }
            return true
        }
    }
}

/// A mistake in the app's declaration, reported when the app is built.
public enum AppBuildError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Two routes with the same method and the same pattern shape.
    case duplicateRoute(method: String, pattern: String)
    /// A pattern that cannot be parsed.
    case invalidPattern(String, String)
    /// A configuration that cannot work, with the reason.
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case .duplicateRoute(let method, let pattern): "duplicate route: \(method) \(pattern)"
        case .invalidPattern(let pattern, let reason): "invalid route pattern \(pattern): \(reason)"
        case .invalidConfiguration(let reason): "invalid configuration: \(reason)"
        }
    }
}
