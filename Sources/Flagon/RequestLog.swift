import FlagonHTTP
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// One log line per request (``App/logRequests(_:)``).
@LoopActor
final class RequestLog {
    let format: RequestLogFormat
    let logger: Logger

    init(format: RequestLogFormat, logger: Logger) {
        self.format = format
        self.logger = logger
    }

    func log(_ request: Request, _ response: Response, milliseconds: UInt64) {
        let target = request.fullPath + (request.rawQuery.isEmpty ? "" : "?" + request.rawQuery)
        let bytes = response.streamLength ?? response.bodyBytes.count
        let line: String
        switch format {
        case .common:
            // host ident authuser [date] "request line" status bytes
            let date = HTTPDate.format(Int(time(nil)))
            line = "\(request.remoteAddress ?? "-") - - [\(date)] \"\(request.method) \(target) HTTP/1.\(request.minorVersion)\" \(response.status) \(bytes)"
        case .keyValue:
            line = "method=\(request.method) path=\(Self.quoted(target)) status=\(response.status) bytes=\(bytes) ms=\(milliseconds)"
                + " remote=\(request.remoteAddress ?? "-")"
        }
        logger.info("\(line)")
    }

    private static func quoted(_ text: String) -> String {
        text.contains(" ") || text.contains("\"") ? "\"" + text.replacingOccurrences("\"", with: "\\\"") + "\"" : text
    }
}

/// How ``App/logRequests(_:)`` writes its lines.
public enum RequestLogFormat: Sendable {
    /// The common log format: `127.0.0.1 - - [date] "GET /path HTTP/1.1" 200 13`.
    case common
    /// `key=value` pairs: `method=GET path=/path status=200 bytes=13 ms=0 remote=127.0.0.1`.
    case keyValue
}

extension App {
    /// Logs one line per request, Socket.IO's long-polling and handshakes included, at
    /// `info` level on the app's logger.
    ///
    /// ```swift
    /// app.logRequests(.keyValue)
    /// ```
    public func logRequests(_ format: RequestLogFormat = .common) {
        requestLog = RequestLog(format: format, logger: logger)
    }
}

extension String {
    fileprivate func replacingOccurrences(_ target: Character, with replacement: String) -> String {
        var out = ""
        for character in self { if character == target { out += replacement } else { out.append(character) } }
        return out
    }
}

extension Logger {
    /// A logger whose level comes from `FLAGON_LOG_LEVEL` (trace, debug, info, notice,
    /// warning, error, critical; `info` when unset or unknown).
    public static func flagon(_ label: String) -> Logger {
        var logger = Logger(label: label)
        if let value = getenv("FLAGON_LOG_LEVEL"), let level = Logger.Level(rawValue: String(cString: value).lowercased()) {
            logger.logLevel = level
        }
        if let worker = WorkerIdentity.current { logger[metadataKey: "worker"] = "\(worker.index)" }
        return logger
    }
}
