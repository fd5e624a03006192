import FlagonHTTP
import FlagonLoop
#if canImport(Glibc)
import Glibc
#endif

/// Serves files from a folder, safely: no `..` or symlink escape, `ETag` and
/// `Last-Modified` with `304 Not Modified`, single byte ranges with `206`.
///
/// ```swift
/// let files = StaticFiles(directory: "public")
/// app.get("/assets/<path:file>") { request in try await files.serve(try request.parameters.require("file"), request: request) }
/// ```
public struct StaticFiles: Sendable {
    /// The folder, resolved to its real path.
    public let root: String
    /// Largest file served (default: no limit; large files are streamed, never held whole).
    public var maxFileBytes = Int.max

    /// Serves `directory` (relative paths are taken from the working directory).
    public init(directory: String) {
        root = StaticFiles.realPath(directory) ?? directory
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Files larger than this are streamed in pieces of this size (never held in memory whole).
    public static let chunkSize = 64 * 1024

    /// The response for `relativePath`; 404 when it is missing or escapes the folder. The
    /// disk is read through libuv's thread pool (the loop never waits for it) and files
    /// larger than ``chunkSize`` are streamed.
    @LoopActor
    public func serve(_ relativePath: String, request: Request) async throws(HTTPError) -> Response {
        let parts = relativePath.split(separator: "/", omittingEmptySubsequences: true)
        guard !parts.isEmpty, !parts.contains(where: { $0 == ".." || $0 == "." || $0.contains("\0") || $0.contains("\\") }) else {
            throw HTTPError(404)
        }
        guard let resolved = await LoopFile.realPath(root + "/" + parts.joined(separator: "/")),
              resolved.hasPrefix(root + "/") else { throw HTTPError(404) }
        guard let info = await LoopFile.status(of: resolved), info.isRegularFile else { throw HTTPError(404) }
        let size = info.size
        guard size <= maxFileBytes else { throw HTTPError(413, "file too large to serve") }
        let modified = info.modified
        let etag = "\"\(String(size, radix: 16))-\(String(modified, radix: 16))-\(String(info.inode, radix: 16))\""

        var headers: HTTPHeaders = [
            "Content-Type": StaticFiles.contentType(for: resolved),
            "ETag": etag,
            "Last-Modified": HTTPDate.format(modified),
            "Accept-Ranges": "bytes",
        ]
        if let match = request.headers["if-none-match"] {
            if match == "*" || match.split(separator: ",").contains(where: { String($0.trimmingSpaces).replacingWeakPrefix == etag }) {
                return Response(status: 304, headers: headers)
            }
        } else if let since = request.headers["if-modified-since"].flatMap(HTTPDate.parse), modified <= since {
            return Response(status: 304, headers: headers)
        }

        var range: ClosedRange<Int>?
        if let header = request.headers["range"], request.headers["if-range"].map({ $0 == etag }) ?? true {
            switch StaticFiles.parseRange(header, size: size) {
            case .none: break
            case .some(.none):
                headers.set("Content-Range", "bytes */\(size)")
                return Response(status: 416, headers: headers)
            case .some(.some(let r)): range = r
            }
        }
        let status = range == nil ? 200 : 206
        if let range { headers.set("Content-Range", "bytes \(range.lowerBound)-\(range.upperBound)/\(size)") }
        let span = range ?? 0...max(size - 1, 0)
        let count = size == 0 ? 0 : span.count
        if count == 0 { return Response(status: status, headers: headers) }
        let file: LoopFile
        do {
            file = try await LoopFile.open(resolved)
        } catch {
            throw HTTPError(404)
        }
        if count <= Self.chunkSize {
            defer { file.close() }
            return Response(status: status, headers: headers, body: try await Self.read(file, from: span.lowerBound, count: count))
        }
        return Response(status: status, headers: headers, length: count) { writer in
            defer { file.close() }
            var offset = span.lowerBound
            var left = count
            while left > 0 {
                let piece = try await Self.read(file, from: offset, count: min(Self.chunkSize, left))
                try await writer.write(piece)
                offset += piece.count
                left -= piece.count
            }
        }
    }

    /// Reads exactly `count` bytes (a file that shrank meanwhile is an error).
    @LoopActor
    private static func read(_ file: LoopFile, from offset: Int, count: Int) async throws(HTTPError) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        while bytes.count < count {
            let piece: [UInt8]
            do {
                piece = try await file.read(count: count - bytes.count, at: offset + bytes.count)
            } catch {
                throw HTTPError(500, "cannot read file")
            }
            if piece.isEmpty { throw HTTPError(500, "cannot read file") }
            bytes.append(contentsOf: piece)
        }
        return bytes
    }

    /// Parses a single `bytes=` range. `nil`: ignore the header (serve everything);
    /// `.some(nil)`: not satisfiable (416).
    static func parseRange(_ header: String, size: Int) -> ClosedRange<Int>?? {
        guard header.hasPrefix("bytes="), !header.contains(",") else { return .none }
        let spec = String(header.dropFirst(6).trimmingSpaces)
        let sides = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard sides.count == 2 else { return .none }
        if sides[0].isEmpty {
            guard let suffix = Int(sides[1]), suffix > 0 else { return .some(nil) }
            if size == 0 { return .some(nil) }
            return .some(max(0, size - suffix)...(size - 1))
        }
        guard let first = Int(sides[0]) else { return .none }
        let last = sides[1].isEmpty ? size - 1 : (Int(sides[1]) ?? -1)
        guard last >= first, first < size else { return .some(nil) }
        return .some(first...min(last, size - 1))
    }

    /// The content type for a file name's extension.
    public static func contentType(for path: String) -> String {
        let ext = path.split(separator: ".").last.map { $0.lowercased() } ?? ""
        switch ext {
        case "html", "htm": return "text/html; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "js", "mjs": return "text/javascript; charset=utf-8"
        case "json", "map": return "application/json"
        case "txt", "md": return "text/plain; charset=utf-8"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "gif": return "image/gif"
        case "webp": return "image/webp"
        case "ico": return "image/x-icon"
        case "wasm": return "application/wasm"
        case "woff2": return "font/woff2"
        case "woff": return "font/woff"
        case "pdf": return "application/pdf"
        case "xml": return "application/xml"
        default: return "application/octet-stream"
        }
    }
}

extension String {
    var replacingWeakPrefix: String { hasPrefix("W/") ? String(dropFirst(2)) : self }
}
