/// Which broadcasts a server receives from the other servers.
public enum ClusterRouting: Sendable, Equatable {
    /// Subscribes to a room's channel only while this server has a member of the room (and
    /// to each namespace's channel, which carries broadcasts to everyone or several rooms):
    /// a server never decodes emits to rooms it has no member of.
    case targeted
    /// Subscribes to every broadcast channel of each namespace with a pattern, as Node's
    /// adapter does.
    case pattern
}
