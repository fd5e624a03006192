/// Writes WebSocket frames as a server sends them (unmasked), and the opening handshake.
///
/// ```swift
/// var out: [UInt8] = []
/// WebSocketFrame.writeHeader(opcode: .text, length: 5, into: &out)   // [0x81, 0x05]
/// ```
public enum WebSocketFrame {
    /// Frame opcodes.
    public enum Opcode: UInt8, Sendable {
        case continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10
    }

    /// Appends the header of a final (unfragmented) frame carrying `length` bytes.
    @inline(__always)
    public static func writeHeader(opcode: Opcode, length: Int, into out: inout [UInt8]) {
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: headerLength(payload: length)))
        out.withUnsafeMutableBytes { _ = writeHeader(opcode: opcode, length: length, into: UnsafeMutableRawBufferPointer(rebasing: $0[start...])) }
    }

    /// The size of the header of a frame carrying `length` bytes: 2, 4 or 10.
    @inline(__always)
    public static func headerLength(payload length: Int) -> Int {
        length < 126 ? 2 : length <= 0xFFFF ? 4 : 10
    }

    /// Writes the header of a final frame carrying `length` bytes at the start of `out`,
    /// which holds at least ``headerLength(payload:)`` bytes; returns that size.
    @inline(__always)
    public static func writeHeader(opcode: Opcode, length: Int, into out: UnsafeMutableRawBufferPointer) -> Int {
        let size = headerLength(payload: length)
        precondition(out.count >= size, "writeHeader: no room for the header")
        out[0] = 0x80 | opcode.rawValue
        switch size {
        case 2:
            out[1] = UInt8(length)
        case 4:
            out[1] = 126
            out[2] = UInt8(length >> 8)
            out[3] = UInt8(length & 0xFF)
        default:
            out[1] = 127
            for k in 0..<8 { out[2 + k] = UInt8((length >> (56 - 8 * k)) & 0xFF) }
        }
        return size
    }

    /// A whole frame.
    public static func frame(opcode: Opcode, payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 10)
        writeHeader(opcode: opcode, length: payload.count, into: &out)
        out.append(contentsOf: payload)
        return out
    }

    /// A frame as a client sends it, masked with `mask` (for WebSocket clients and tests);
    /// `opcode` is raw so that invalid ones can be written too.
    ///
    /// ```swift
    /// WebSocketFrame.maskedFrame(opcode: 1, payload: Array("Hello".utf8))
    /// ```
    public static func maskedFrame(opcode: UInt8, payload: [UInt8], fin: Bool = true,
                                   mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]) -> [UInt8] {
        var out: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        if payload.count < 126 {
            out.append(0x80 | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            out += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            out.append(0x80 | 127)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((payload.count >> shift) & 0xFF)) }
        }
        out += mask
        out.reserveCapacity(out.count + payload.count)
        for (index, byte) in payload.enumerated() { out.append(byte ^ mask[index & 3]) }
        return out
    }

    /// A close frame with a code and a reason (cut to fit the 125-byte limit).
    public static func closeFrame(code: UInt16, reason: String = "") -> [UInt8] {
        var payload: [UInt8] = [UInt8(code >> 8), UInt8(code & 0xFF)]
        var reasonBytes = Array(reason.utf8.prefix(123))
        while String(validating: reasonBytes, as: UTF8.self) == nil { reasonBytes.removeLast() }
        payload.append(contentsOf: reasonBytes)
        return frame(opcode: .close, payload: payload)
    }

    /// The GUID of RFC 6455's `Sec-WebSocket-Accept` computation.
    public static let acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// The `Sec-WebSocket-Accept` value for a handshake's key: Base64 of the SHA-1 of the
    /// key followed by ``acceptGUID`` (RFC 6455, section 4.2.2).
    public static func acceptValue(forKey key: String) -> String {
        var key = key, guid = acceptGUID
        return key.withUTF8 { keyBytes in
            guid.withUTF8 { guidBytes in
                withUnsafeTemporaryAllocation(byteCount: keyBytes.count + guidBytes.count + 20, alignment: 8) { buffer in
                    let message = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<keyBytes.count + guidBytes.count])
                    message.copyMemory(from: UnsafeRawBufferPointer(keyBytes))
                    UnsafeMutableRawBufferPointer(rebasing: message[keyBytes.count...]).copyMemory(from: UnsafeRawBufferPointer(guidBytes))
                    let digest = UnsafeMutableRawBufferPointer(rebasing: buffer[message.count...])
                    SHA1.hash(UnsafeRawBufferPointer(message), into: digest)
                    return Base64.encodeString(UnsafeRawBufferPointer(digest))
                }
            }
        }
    }

    /// Checks an opening handshake request; returns the `Sec-WebSocket-Key`, or the status to
    /// refuse with (400, or 426 for another version).
    public static func validateHandshake(method: String, headers: HTTPHeaders) -> Result<String, HandshakeRefusal> {
        guard method == "GET" else { return .failure(HandshakeRefusal(status: 400, reason: "WebSocket handshakes use GET")) }
        // One pass over the fields for the four that matter (most names differ in length).
        var upgrades = false, connectionUpgrades = false
        var keys = 0, versions = 0
        var key: String?, version: String?
        for (name, value) in headers {
            switch name.utf8.count {
            case 7 where !upgrades && HTTPHeaders.equalNames(name, "upgrade"):
                upgrades = HTTPHeaders.value(value, hasToken: "websocket")
            case 10 where !connectionUpgrades && HTTPHeaders.equalNames(name, "connection"):
                connectionUpgrades = HTTPHeaders.value(value, hasToken: "upgrade")
            case 17 where HTTPHeaders.equalNames(name, "sec-websocket-key"):
                keys += 1
                if key == nil { key = value }
            case 21 where HTTPHeaders.equalNames(name, "sec-websocket-version"):
                versions += 1
                if version == nil { version = value }
            default:
                break
            }
        }
        guard upgrades else {
            return .failure(HandshakeRefusal(status: 400, reason: "missing Upgrade: websocket"))
        }
        guard connectionUpgrades else {
            return .failure(HandshakeRefusal(status: 400, reason: "missing Connection: Upgrade"))
        }
        // RFC 6455, section 11.3: the key and the version appear at most once in a request.
        guard keys <= 1, versions <= 1 else {
            return .failure(HandshakeRefusal(status: 400, reason: "Sec-WebSocket-Key and Sec-WebSocket-Version must appear once"))
        }
        guard version == "13" else {
            return .failure(HandshakeRefusal(status: 426, reason: "unsupported WebSocket version"))
        }
        guard let key, Base64.decodedCount(key) == 16 else {
            return .failure(HandshakeRefusal(status: 400, reason: "invalid Sec-WebSocket-Key"))
        }
        return .success(key)
    }

    /// Why a handshake was refused.
    public struct HandshakeRefusal: Error, Sendable, Equatable {
        /// The HTTP status.
        public let status: Int
        /// The message.
        public let reason: String
    }
}
