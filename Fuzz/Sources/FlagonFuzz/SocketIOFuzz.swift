import FlagonJSON
import FlagonSocketIOCore

/// Feeds a sequence of Socket.IO messages (split at 0xFF bytes; a message starting with
/// 0xFE is binary) to one decoder. Every packet it yields is re-encoded and decoded again
/// and must come back equal, with namespaces within their limit.
enum SocketIOFuzz {
    static func run(_ input: [UInt8]) {
        var decoder = SocketIODecoder(maxAttachments: 4)
        for message in input.split(separator: 0xFF, omittingEmptySubsequences: false) {
            if message.first != 0xFE && !decoder.isAwaitingAttachments { checkUnparsedPath(Array(message)) }
            let packet: SocketIOPacket?
            do {
                if message.first == 0xFE {
                    packet = try decoder.receive(binary: Array(message.dropFirst()))
                } else {
                    packet = try decoder.receive(text: Array(message))
                }
            } catch {
                return   // the server closes the connection here
            }
            guard let packet else { continue }
            check(packet.namespace.utf8.count <= 256, "namespace over the limit")
            let encoded = SocketIOEncoder.encode(packet)
            var again = SocketIODecoder(maxAttachments: 4)
            var decoded: SocketIOPacket?
            do {
                decoded = try again.receive(text: encoded.text)
                for attachment in encoded.attachments { decoded = try again.receive(binary: attachment) }
            } catch {
                return check(false, "re-encoded packet refused: \(error) for \(String(decoding: encoded.text, as: UTF8.self))")
            }
            check(same(decoded, packet), "round trip changed the packet: \(String(decoding: encoded.text, as: UTF8.self))")
        }
    }

    /// The path of events passed on unparsed must agree with the decoder: where the head
    /// scanner reads an event, its JSON validates exactly when the decoder accepts the packet,
    /// with the same namespace, ack id and event name.
    static func checkUnparsedPath(_ text: [UInt8]) {
        text.withUnsafeBufferPointer { bytes in
            guard let head = SocketIOEventHead.scan(bytes) else { return }
            let json = UnsafeBufferPointer(rebasing: bytes[head.jsonStart...])
            let valid = (try? JSONValue.validate(json)) != nil
            // The server checks from the arguments on, after the scanned head: the same verdict.
            if let start = head.argumentsStart {
                let fromArguments = (try? JSONValue.validate(json, arrayElementsFrom: start - head.jsonStart)) != nil
                check(fromArguments == valid, "a check from the arguments disagrees in \(String(decoding: text, as: UTF8.self))")
            }
            let decoded = try? SocketIODecoder.parse(text, maxAttachments: 4).0
            check(valid == (decoded != nil), "head scan and decoder disagree on \(String(decoding: text, as: UTF8.self))")
            guard let decoded else { return }
            check(decoded.namespace == head.namespace && decoded.id == head.ackID && decoded.eventName == head.event,
                  "head scan read another head than the decoder in \(String(decoding: text, as: UTF8.self))")
        }
    }

    /// Equal packets; numbers in the data compare by value (see ``JSONFuzz/same(_:_:)``).
    static func same(_ a: SocketIOPacket?, _ b: SocketIOPacket) -> Bool {
        guard let a, a.type == b.type, a.namespace == b.namespace, a.id == b.id else { return false }
        switch (a.data, b.data) {
        case (nil, nil): return true
        case (let x?, let y?): return JSONFuzz.same(x, y)
        default: return false
        }
    }
}
