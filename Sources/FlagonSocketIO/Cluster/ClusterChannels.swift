/// The Redis channels of one namespace, named as `@socket.io/redis-adapter` names them
/// (key prefix `socket.io` by default), so that Flagon and Node servers share them.
///
/// ```swift
/// let channels = ClusterChannels(namespace: "/chat")
/// channels.broadcast              // "socket.io#/chat#"
/// channels.room("lobby")          // "socket.io#/chat#lobby#"
/// channels.request                // "socket.io-request#/chat#"
/// channels.response               // "socket.io-response#/chat#"
/// channels.response(for: "Fz3Ch9") // "socket.io-response#/chat#Fz3Ch9#"
/// ```
public struct ClusterChannels: Sendable, Equatable {
    /// The key prefix.
    public let prefix: String
    /// The namespace.
    public let namespace: String

    /// The channels of `namespace` under `prefix`.
    public init(prefix: String = "socket.io", namespace: String) {
        self.prefix = prefix
        self.namespace = namespace
    }

    /// Broadcasts to the whole namespace or to several rooms.
    public var broadcast: String { prefix + "#" + namespace + "#" }

    /// Broadcasts to exactly one room.
    public func room(_ room: String) -> String { broadcast + room + "#" }

    /// The pattern Node's adapter subscribes to: every broadcast of the namespace.
    public var broadcastPattern: String { broadcast + "*" }

    /// Requests between servers.
    public var request: String { prefix + "-request#" + namespace + "#" }

    /// Responses to requests (the shared channel).
    public var response: String { prefix + "-response#" + namespace + "#" }

    /// Responses meant for the server `uid` only.
    public func response(for uid: String) -> String { response + uid + "#" }

    /// What a channel is, for a message that arrived on it.
    public enum Kind: Sendable, Equatable {
        /// A broadcast to the namespace (no room in the channel name).
        case broadcast
        /// A broadcast to one room.
        case room(String)
        case request
        /// A response, on the shared channel or on a server's own (`uid`).
        case response(uid: String?)
        /// Not a channel of this namespace.
        case foreign
    }

    /// Classifies `channel` (responses first: their prefix also starts like a request's).
    public func kind(of channel: String) -> Kind {
        if channel.hasPrefix(response) {
            let rest = channel.dropFirst(response.count)
            if rest.isEmpty { return .response(uid: nil) }
            guard rest.hasSuffix("#"), rest.count > 1 else { return .foreign }
            return .response(uid: String(rest.dropLast()))
        }
        if channel == request { return .request }
        if channel.hasPrefix(broadcast) {
            let rest = channel.dropFirst(broadcast.count)
            if rest.isEmpty { return .broadcast }
            guard rest.hasSuffix("#"), rest.count > 1 else { return .foreign }
            return .room(String(rest.dropLast()))
        }
        return .foreign
    }
}
