import FlagonCompression
import FlagonHTTP

/// Compresses HTTP responses with gzip or deflate when the client accepts them
/// (`Accept-Encoding` with q-values), the body is at least `threshold` bytes, and its type
/// is text-like; already-compressed types (images, audio, video, archives, fonts) never.
/// Adds `Vary: Accept-Encoding`. (Socket.IO's long-polling has the same, built in:
/// ``EngineOptions/httpCompression``.)
///
/// ```swift
/// app.use(Compression())              // 1 KB threshold, as Node's compression and engine.io
/// ```
public struct Compression: Middleware {
    /// Bodies smaller than this are sent as they are (default 1,024 bytes).
    public var threshold: Int
    /// The zlib level, 1 (fast) to 9 (small); default 6.
    public var level: Int32

    /// A compression layer.
    public init(threshold: Int = 1024, level: Int32 = 6) {
        self.threshold = threshold
        self.level = level
    }

    public func respond(to request: Request, next: any HTTPHandler) async throws -> Response {
        Self.compress(try await next.respond(to: request), for: request, threshold: threshold, level: level)
    }

    /// The response, compressed if `request` accepts it and it is worth it.
    public static func compress(_ response: Response, for request: Request, threshold: Int = 1024, level: Int32 = 6) -> Response {
        guard response.upgrade == nil, case .bytes(let body) = response.body, body.count >= threshold,
              response.headers["content-encoding"] == nil, isCompressible(response.headers["content-type"]),
              request.method != "HEAD", let coding = ContentCoding.preferred(request.headers["accept-encoding"]),
              let compressed = Deflate.compress(body, format: coding.format, level: level)
        else {
            guard case .bytes(let body) = response.body, body.count >= threshold, response.headers["vary"] == nil,
                  isCompressible(response.headers["content-type"]) else { return response }
            var varying = response
            varying.headers.set("Vary", "Accept-Encoding")   // caches must not serve it to a client that accepts gzip
            return varying
        }
        var result = response
        result.body = .bytes(compressed)
        result.headers.set("Content-Encoding", coding.rawValue)
        let vary = response.headers["vary"]
        result.headers.set("Vary", vary.map { $0.lowercased().contains("accept-encoding") ? $0 : $0 + ", Accept-Encoding" } ?? "Accept-Encoding")
        result.headers.remove("Content-Length")
        return result
    }

    /// Text-like types are worth compressing; images, audio, video, archives and fonts are
    /// compressed already.
    static func isCompressible(_ contentType: String?) -> Bool {
        guard let type = contentType?.split(separator: ";").first?.lowercased() else { return false }
        if type.hasPrefix("text/") { return true }
        return ["application/json", "application/javascript", "application/xml", "image/svg+xml", "application/wasm",
                "application/x-javascript", "application/xhtml+xml", "application/manifest+json"].contains(type)
            || type.hasSuffix("+json") || type.hasSuffix("+xml")
    }
}
