/// Reads what routes an Engine.IO request to its session's worker, from the request target
/// alone (no parsed query, no allocation but the result).
///
/// ```swift
/// EngineRequestRoute.sessionID(in: "/socket.io/?EIO=4&transport=polling&sid=ABxyz")   // "ABxyz"
/// ```
import Flagon
import FlagonHTTP

enum EngineRequestRoute {
    /// The value of the first `sid` query parameter, `nil` when there is none.
    static func sessionID(in target: String) -> Substring? {
        guard let question = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return nil }
        var rest = target[target.index(after: question)...]
        while !rest.isEmpty {
            let end = rest.utf8.firstIndex(of: UInt8(ascii: "&")) ?? rest.endIndex
            let pair = rest[rest.startIndex..<end]
            if pair.hasPrefix("sid=") { return pair.dropFirst(4) }
            rest = end == rest.endIndex ? rest[end...] : rest[rest.index(after: end)...]
        }
        return nil
    }
}

extension EngineServer: WorkerRoutedHandler {
    /// The worker that holds the request's session: the one its `sid` names.
    public func owningWorker(of head: HTTPRequestHead) -> Int? {
        EngineRequestRoute.sessionID(in: head.target).flatMap { WorkerIDs.owner(of: $0) }
    }
}

extension SocketIOServer: WorkerRoutedHandler {
    /// The worker that holds the request's session: the one its `sid` names.
    public func owningWorker(of head: HTTPRequestHead) -> Int? { engine.owningWorker(of: head) }
}
