/// The frames workers send each other over their channels (sans-IO):
///
/// ```text
/// length: UInt32 big-endian (of kind + body) | kind: UInt8 | body
/// 1 hello        body: UInt16 index of the sender (first frame on a link)
/// 2 subscribe    body: channel name (UTF-8)
/// 3 unsubscribe  body: channel name
/// 4 publish      body: UInt16 length of the channel name | channel name | payload
/// 5 handover     body: the bytes of the requests read so far; an open TCP connection comes with it
/// 6 subscribe to every channel that starts with the body
/// 7 unsubscribe from such a prefix
/// 8 relayed handover: flags (1: TLS) | UInt8 length of the client's address | address |
///   the bytes read so far; a unix socket comes with it, at whose other end the worker that
///   accepted the connection relays it (it holds the connection's TLS state)
/// ```
enum WorkerMeshFrame: Equatable {
    case hello(index: Int)
    case subscribe(String)
    case unsubscribe(String)
    case publish(channel: String, payload: [UInt8])
    case handover(bytes: [UInt8])
    case subscribePrefix(String)
    case unsubscribePrefix(String)
    case relayedHandover(address: String, secure: Bool, bytes: [UInt8])

    /// The largest frame accepted (a message between workers is at most this long).
    static let maxLength = 64 << 20

    /// What went wrong while reading frames: the link that sent it is closed.
    enum Failure: Error, Equatable {
        case tooLong(Int)
        case unknownKind(UInt8)
        case malformed(String)
    }

    /// The frame's bytes, with its length in front.
    var encoded: [UInt8] {
        // The kind, then the body in at most two parts (a publish's channel, then its payload),
        // written once behind the length.
        let kind: UInt8
        var head: [UInt8] = []
        let body: [UInt8]
        switch self {
        case .hello(let index): (kind, body) = (1, [UInt8(index >> 8 & 0xFF), UInt8(index & 0xFF)])
        case .subscribe(let channel): (kind, body) = (2, Array(channel.utf8))
        case .unsubscribe(let channel): (kind, body) = (3, Array(channel.utf8))
        case .publish(let channel, let payload):
            let name = Array(channel.utf8.prefix(0xFFFF))
            head = [UInt8(name.count >> 8), UInt8(name.count & 0xFF)] + name
            (kind, body) = (4, payload)
        case .handover(let bytes): (kind, body) = (5, bytes)
        case .subscribePrefix(let prefix): (kind, body) = (6, Array(prefix.utf8))
        case .unsubscribePrefix(let prefix): (kind, body) = (7, Array(prefix.utf8))
        case .relayedHandover(let address, let secure, let bytes):
            let name = Array(address.utf8.prefix(255))
            head = [secure ? 1 : 0, UInt8(name.count)] + name
            (kind, body) = (8, bytes)
        }
        let length = 1 + head.count + body.count
        var out: [UInt8] = [UInt8(length >> 24 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), kind]
        out.reserveCapacity(4 + length)
        out += head
        out += body
        return out
    }

    /// Reads frames from a link's bytes as they arrive.
    struct Reader {
        private var buffer: [UInt8] = []
        private var start = 0

        mutating func feed(_ bytes: UnsafeRawBufferPointer) { buffer.append(contentsOf: bytes) }

        /// The next whole frame, `nil` until one has arrived.
        mutating func next() throws(Failure) -> WorkerMeshFrame? {
            guard buffer.count - start >= 4 else { return compact() }
            let length = buffer[start..<start + 4].reduce(0) { $0 << 8 | Int($1) }
            guard length >= 1, length <= WorkerMeshFrame.maxLength else { throw .tooLong(length) }
            guard buffer.count - start >= 4 + length else { return compact() }
            let kind = buffer[start + 4]
            // A slice of the buffer: only what a frame keeps is copied out of it.
            let body = buffer[start + 5..<start + 4 + length]
            start += 4 + length
            switch kind {
            case 1:
                guard body.count == 2 else { throw .malformed("hello of \(body.count) bytes") }
                return .hello(index: Int(body[body.startIndex]) << 8 | Int(body[body.startIndex + 1]))
            case 2, 3, 6, 7:
                guard let channel = String(validating: body, as: UTF8.self) else { throw .malformed("channel name not UTF-8") }
                switch kind {
                case 2: return .subscribe(channel)
                case 3: return .unsubscribe(channel)
                case 6: return .subscribePrefix(channel)
                default: return .unsubscribePrefix(channel)
                }
            case 4:
                guard body.count >= 2 else { throw .malformed("publish without a channel") }
                let first = body.startIndex
                let nameLength = Int(body[first]) << 8 | Int(body[first + 1])
                guard body.count >= 2 + nameLength,
                      let channel = String(validating: body[first + 2..<first + 2 + nameLength], as: UTF8.self)
                else { throw .malformed("publish with a bad channel name") }
                return .publish(channel: channel, payload: Array(body[(first + 2 + nameLength)...]))
            case 5:
                return .handover(bytes: Array(body))
            case 8:
                guard body.count >= 2 else { throw .malformed("relayed handover without its origin") }
                let first = body.startIndex
                let flags = body[first], addressLength = Int(body[first + 1])
                guard flags <= 1, body.count >= 2 + addressLength,
                      let address = String(validating: body[first + 2..<first + 2 + addressLength], as: UTF8.self)
                else { throw .malformed("relayed handover with a bad origin") }
                return .relayedHandover(address: address, secure: flags == 1, bytes: Array(body[(first + 2 + addressLength)...]))
            default:
                throw .unknownKind(kind)
            }
        }

        private mutating func compact() -> WorkerMeshFrame? {
            if start > 0 {
                buffer.removeSubrange(0..<start)
                start = 0
            }
            return nil
        }
    }
}
