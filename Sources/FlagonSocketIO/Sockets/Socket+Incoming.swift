import Flagon
import FlagonHTTP
import FlagonJSON
import FlagonLoop
import FlagonSocketIOCore

/// What a socket receives from its client: events (dispatched to the namespace's handlers,
/// answered with acks) and acks of its own emits.
extension Socket {
    // MARK: Incoming

    /// Acks this socket waits for.
    var pendingAckCount: Int { pendingAcks.count }

    func handleEvent(_ packet: SocketIOPacket) {
        guard isConnected, case .array(let items)? = packet.data, let event = items.first?.stringValue else { return }
        namespace.counters.value.eventsReceived &+= 1
        namespace.dispatcher.dispatch(event: event, raw: RawArguments(Array(items.dropFirst())), ackID: packet.id, socket: self)
    }

    /// Sends the ack for a client's event.
    func sendAck(_ ackID: Int, _ args: [JSONValue]) {
        guard isConnected else { return }
        sendPacket(SocketIOPacket(type: .ack, namespace: namespace.name, id: ackID, data: .array(args)))
    }

    /// Sends the ack for a client's event; arguments still in the text they arrived in go
    /// back as that text (the JSON parser; the msgpack one writes values).
    func sendAck(_ ackID: Int, _ args: RawArguments) {
        guard isConnected else { return }
        guard let text = args.encodedText, !connection.usesMessagePack else { return sendAck(ackID, args.values) }
        let sent = sendAckInPlace(ackID, textLength: text.count) { out in
            text.withRawBytes { out.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
        if sent { return }
        let head = SocketIOPacket(type: .ack, namespace: namespace.name, id: ackID)
        deliver(OutboundMessage(ackID: ackID, namespace: namespace.name, argumentsText: text), packet: head)
    }

    /// Sends an ack whose text `write` writes, exactly `textLength` bytes (a value that
    /// measured its text): straight into the frame when it can be, else through an array.
    @usableFromInline
    func sendAck(_ ackID: Int, textLength: Int, _ write: (UnsafeMutableRawPointer) -> UnsafeMutableRawPointer) {
        guard isConnected else { return }
        let sent = !connection.usesMessagePack && sendAckInPlace(ackID, textLength: textLength) { out in
            precondition(write(out) == out + textLength, "a value wrote a text of another length than it measured")
        }
        if sent { return }
        // Not framed in place: the same checked write, into an array.
        var text = [UInt8](repeating: 0, count: textLength)
        if textLength > 0 {
            text.withUnsafeMutableBytes { out in
                precondition(write(out.baseAddress!) == out.baseAddress! + textLength, "a value wrote a text of another length than it measured")
            }
        }
        sendAck(ackID, RawArguments(validatedText: text))
    }

    /// The common case: the ack written straight into a writable WebSocket's buffer, with
    /// `writeText` filling `textLength` bytes between the brackets; `false` when it cannot be
    /// (polling, a full buffer, outgoing hooks, a socket still connecting).
    private func sendAckInPlace(_ ackID: Int, textLength: Int, _ writeText: (UnsafeMutableRawPointer) -> Void) -> Bool {
        guard !connecting && !namespace.hasOutgoingHooks else { return false }
        let name = namespace.name
        let headLength = SocketIOEncoder.headLength(namespace: name, id: ackID)
        let length = headLength + textLength + 2
        let sent = withEngine { engine in
            engine.sendMessageInPlace(length: length) { out in
                let head = SocketIOEncoder.writeHead(type: .ack, namespace: name, id: ackID, length: headLength, into: out)
                out[head] = UInt8(ascii: "[")
                if textLength > 0 { writeText(out.baseAddress! + head + 1) }
                out[length - 1] = UInt8(ascii: "]")
            }
        }
        if sent { namespace.counters.value.packetsSent &+= 1 }
        return sent
    }

    /// An event whose arguments are still the JSON text the client sent, and whose name is
    /// still in the packet's bytes (both checked already).
    func handleEvent(_ event: UnsafeBufferPointer<UInt8>, raw: RawArguments, ackID: Int?) {
        guard isConnected else { return }
        namespace.counters.value.eventsReceived &+= 1
        dispatcherReference.with { $0.dispatch(eventBytes: event, raw: raw, ackID: ackID, socket: self) }
    }

    func handleAck(_ packet: SocketIOPacket) {
        guard let ackID = packet.id, let pending = pendingAcks.removeValue(forKey: ackID) else { return }
        if pendingAcks.isEmpty { ackDeadline?.cancel() }
        pending.callback(.success(packet.arguments))
    }
}
