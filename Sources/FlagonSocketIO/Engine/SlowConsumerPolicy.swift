import FlagonLoop

/// What a full outbound queue does, chosen per server or namespace. Only events (emits
/// and broadcasts) are ever dropped; acks and CONNECT replies are not. Drops are counted
/// in ``Socket/droppedMessages`` and reported to ``Namespace/onDrop(_:)``.
///
/// ```swift
/// options.slowConsumerPolicy = .dropOldest                       // a live feed: the newest matters
/// sio.of("/chat").slowConsumerPolicy = .decide { socket in
///     socket.droppedMessages > 100 ? .disconnect : .dropNewest
/// }
/// ```
public enum SlowConsumerPolicy: Sendable {
    /// Closes the connection (the default: the client reconnects and starts afresh).
    case disconnect
    /// Drops the oldest queued events to make room for the new one.
    case dropOldest
    /// Drops the new event.
    case dropNewest
    /// Asks the app each time the queue is full.
    case decide(@LoopActor @Sendable (Socket) -> OverflowAction)
}
