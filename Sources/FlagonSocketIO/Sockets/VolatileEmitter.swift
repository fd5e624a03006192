/// Emits to one socket, dropping the event when the transport is not ready (see ``Socket/volatile``).
@LoopActor
public struct VolatileEmitter {
    let socket: Socket

    /// Emits an event, or drops it when the transport cannot write at once.
    public func emit(_ event: String, _ args: JSONValue...) { emit(event, arguments: args) }

    /// Emits an event, or drops it when the transport cannot write at once.
    public func emit(_ event: String, arguments: [JSONValue]) {
        let packet = SocketIOPacket(type: .event, namespace: socket.namespace.name, data: .array([.string(event)] + arguments))
        socket.deliver(OutboundMessage(packet, parser: socket.server.options.parser), packet: packet, volatile: true)
    }
}
