import FlagonCompression
import FlagonHTTP
import FlagonLoop

/// A WebSocket client for tests against a live server on 127.0.0.1: it sends the opening
/// handshake, masked frames, and collects the server's messages and close frame.
///
/// ```swift
/// let ws = try await WebSocketTestClient.connect(port: port, path: "/socket.io/?EIO=4&transport=websocket")
/// #expect(await ws.waitForMessage { $0.hasPrefix("0{") } != nil)
/// ws.send(text: "40")
/// ```
@LoopActor
public final class WebSocketTestClient {
    /// A message from the server.
    public enum Message: Sendable, Equatable {
        case text(String)
        case binary([UInt8])
    }

    /// Messages that came compressed (permessage-deflate), inflated into ``messages``.
    public private(set) var compressedMessages = 0
    private var fragmentCompressed = false

    /// Every message received, in order.
    public private(set) var messages: [Message] = []
    /// The close code the server sent, once it did.
    public private(set) var closeCode: UInt16?
    /// The close reason the server sent.
    public private(set) var closeReason = ""
    /// The handshake response.
    public let handshake: TestResponse
    private let connection: RawConnection
    private var fragments: [UInt8] = []
    private var fragmentOpcode: UInt8 = 0

    private init(connection: RawConnection, handshake: TestResponse) {
        self.connection = connection
        self.handshake = handshake
    }

    /// Opens a WebSocket; throws when the server does not answer 101.
    public static func connect(port: Int, path: String, headers: HTTPHeaders = HTTPHeaders()) async throws -> WebSocketTestClient {
        let connection = try await RawConnection.open(port: port)
        var all: HTTPHeaders = [
            "Host": "127.0.0.1:\(port)", "Upgrade": "websocket", "Connection": "Upgrade",
            "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        ]
        for (name, value) in headers { all.add(name, value) }
        connection.sendRequest("GET", path, headers: all)
        let response = try await connection.readResponse()
        guard response.status == 101 else {
            connection.close()
            throw TestClientError.unexpectedStatus(response.status)
        }
        return WebSocketTestClient(connection: connection, handshake: response)
    }

    /// `true` once the TCP connection is closed.
    public var isClosed: Bool { connection.isClosed }

    /// Sends a text message.
    public func send(text: String) { send(opcode: 1, Array(text.utf8)) }

    /// Sends a binary message.
    public func send(binary: [UInt8]) { send(opcode: 2, binary) }

    /// Sends one masked frame.
    public func send(opcode: UInt8, _ payload: [UInt8], fin: Bool = true) {
        connection.send(WebSocketFrame.maskedFrame(opcode: opcode, payload: payload, fin: fin, mask: [0x12, 0x34, 0x56, 0x78]))
    }

    /// Sends a close frame.
    public func sendClose(code: UInt16 = 1000) { send(opcode: 8, [UInt8(code >> 8), UInt8(code & 0xFF)]) }

    /// Stops reading from the socket (a client that cannot keep up).
    public func pauseReading() { connection.pauseReading() }

    /// Reads again after ``pauseReading()``.
    public func resumeReading() { connection.resumeReading() }

    /// Closes the TCP connection without a close frame (an abrupt loss).
    public func drop() { connection.close() }

    /// Reads the frames received so far.
    private func parseFrames() {
        let buffer = connection.buffer
        var used = 0
        defer { if used > 0 { connection.consume(used) } }
        while buffer.count - used >= 2 {
            let first = buffer[used], second = buffer[used + 1]
            var length = Int(second & 0x7F)
            var offset = used + 2
            if length == 126 {
                guard buffer.count - offset >= 2 else { return }
                length = Int(buffer[offset]) << 8 | Int(buffer[offset + 1])
                offset += 2
            } else if length == 127 {
                guard buffer.count - offset >= 8 else { return }
                length = 0
                for k in 0..<8 { length = length << 8 | Int(buffer[offset + k]) }
                offset += 8
            }
            guard buffer.count - offset >= length else { return }
            let payload = Array(buffer[offset..<offset + length])
            used = offset + length
            let opcode = first & 0x0F
            let fin = first & 0x80 != 0
            switch opcode {
            case 0, 1, 2:
                if opcode != 0 { fragmentOpcode = opcode; fragments = []; fragmentCompressed = first & 0x40 != 0 }
                fragments += payload
                guard fin else { continue }
                if fragmentCompressed {
                    compressedMessages += 1
                    fragments = (try? Deflate.decompressMessage(fragments, limit: 1 << 26)) ?? []
                }
                messages.append(fragmentOpcode == 1 ? .text(String(decoding: fragments, as: UTF8.self)) : .binary(fragments))
                fragments = []
            case 8:
                closeCode = payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : 1005
                closeReason = String(decoding: payload.dropFirst(2), as: UTF8.self)
            case 9:
                send(opcode: 10, payload)
            default:
                break
            }
        }
    }

    /// Waits for a text message that satisfies `condition` (and has not been taken before);
    /// returns it, or `nil` on timeout.
    public func waitForText(timeout: UInt64 = 5000, _ condition: @escaping @LoopActor (String) -> Bool) async -> String? {
        var found: String?
        _ = await connection.wait(timeout: timeout) { [unowned self] in
            parseFrames()
            if let index = messages.firstIndex(where: { if case .text(let t) = $0 { condition(t) } else { false } }),
               case .text(let text) = messages.remove(at: index) {
                found = text
                return true
            }
            return closeCode != nil || connection.isClosed
        }
        return found
    }

    /// Waits until the server closed the WebSocket (close frame or TCP close); returns
    /// `false` on timeout.
    public func waitForClose(timeout: UInt64 = 5000) async -> Bool {
        await connection.wait(timeout: timeout) { [unowned self] in
            parseFrames()
            return connection.isClosed
        }
    }

    /// Answers Engine.IO pings (`2`) with pongs (`3`) among the messages received so far.
    public func answerPings() {
        parseFrames()
        messages.removeAll { message in
            guard case .text("2") = message else { return false }
            send(text: "3")
            return true
        }
    }

    /// Closes the connection.
    public func close() { connection.close() }
}
