import FlagonLoop

/// A route handler: gets the request (with its path parameters) and returns a response.
public typealias RouteHandler = @LoopActor @Sendable (Request) async throws -> Response

/// Finds the handler for a method and path. Static routes are found by a dictionary
/// lookup; patterns are tried in the order they were added.
@LoopActor
final class Router {
    struct Route {
        let methods: Set<String>
        let pattern: RoutePattern
        let handler: RouteHandler
    }

    enum Resolution {
        case found(RouteHandler, [String: String])
        case options(allow: [String])
        case methodNotAllowed(allow: [String])
        case notFound
    }

    private(set) var routes: [Route] = []
    private var staticRoutes: [String: [Int]] = [:]
    private var dynamicRoutes: [Int] = []

    func add(methods: [String], pattern: RoutePattern, handler: @escaping RouteHandler) {
        let index = routes.count
        routes.append(Route(methods: Set(methods.map { $0.uppercased() }), pattern: pattern, handler: handler))
        if pattern.isStatic {
            staticRoutes[pattern.text, default: []].append(index)
        } else {
            dynamicRoutes.append(index)
        }
    }

    /// Reports the first two routes that clash.
    func validate() throws(AppBuildError) {
        var seen: Set<String> = []
        for route in routes {
            for method in route.methods.sorted() {
                let key = method + " " + route.pattern.shape
                if !seen.insert(key).inserted { throw .duplicateRoute(method: method, pattern: route.pattern.text) }
            }
        }
    }

    func resolve(method: String, path: String) -> Resolution {
        var allowed: Set<String> = []
        if let candidates = staticRoutes[path] {
            for index in candidates {
                let route = routes[index]
                if let found = pick(route, method: method, values: [:], allowed: &allowed) { return found }
            }
        }
        if !dynamicRoutes.isEmpty {
            let parts = RoutePattern.split(path)
            for index in dynamicRoutes {
                let route = routes[index]
                guard let values = route.pattern.match(parts) else { continue }
                if let found = pick(route, method: method, values: values, allowed: &allowed) { return found }
            }
        }
        if allowed.isEmpty { return .notFound }
        if allowed.contains("GET") { allowed.insert("HEAD") }
        allowed.insert("OPTIONS")
        let allow = allowed.sorted()
        return method == "OPTIONS" ? .options(allow: allow) : .methodNotAllowed(allow: allow)
    }

    private func pick(_ route: Route, method: String, values: [String: String], allowed: inout Set<String>) -> Resolution? {
        if route.methods.contains(method) || (method == "HEAD" && route.methods.contains("GET")) {
            return .found(route.handler, values)
        }
        allowed.formUnion(route.methods)
        return nil
    }
}
