import FlagonJSON
import FlagonLoop

/// What names a parent namespace creates children for: a pattern, or a function of the
/// name and the CONNECT's auth payload (socket.io's dynamic namespaces).
enum NamespaceMatcher {
    case sync(@LoopActor (String, JSONValue?) -> Bool)
    case async(@LoopActor @Sendable (String, JSONValue?) async -> Bool)

    @LoopActor
    func matches(_ name: String, auth: JSONValue?) async -> Bool {
        switch self {
        case .sync(let match): match(name, auth)
        case .async(let match): await match(name, auth)
        }
    }
}
