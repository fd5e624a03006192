/// What a full outbound queue does with one more message.
public enum OverflowAction: Sendable, Equatable {
    /// Closes the connection (the client reconnects and starts afresh).
    case disconnect
    /// Drops the oldest droppable messages still queued to make room.
    case dropOldest
    /// Drops the new message.
    case dropNewest
}
