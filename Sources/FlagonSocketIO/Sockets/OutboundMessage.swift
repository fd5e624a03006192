import FlagonHTTP
import FlagonJSON
import FlagonLoop
import FlagonMessagePack
import FlagonSocketIOCore

/// A Socket.IO packet encoded once for any number of recipients: its WebSocket frames
/// (text frame, then one binary frame per attachment) and its Engine.IO packets for
/// long-polling share the same bytes.
struct OutboundMessage {
    #if DEBUG
    /// How many packets were encoded (tests check that a broadcast is encoded once).
    @LoopActor static var encodings = 0
    #endif

    /// The WebSocket frames start at `frameStart` in this buffer (room for the longest
    /// header is reserved in front, so the packet is written once, in place).
    let buffer: [UInt8]
    let frameStart: Int
    private let textRange: Range<Int>
    private let attachments: [[UInt8]]
    /// The packet is one binary message (the msgpack parser) rather than text and attachments.
    private let isBinary: Bool
    /// The permessage-deflate frames, made once for every recipient that compresses
    /// (allocated only for messages long enough to be worth it).
    private let compressed: CompressedFrames?

    /// Messages shorter than this are never compressed (no box is allocated for them).
    static let compressibleSize = 128

    /// The frames of this message for a WebSocket that compresses, or `nil` to send
    /// ``buffer`` as it is (too short for the connection's threshold, or not compressing).
    @LoopActor
    func compressedFrames(for webSocket: WebSocket) -> [UInt8]? {
        guard let compressed, let threshold = webSocket.compressionThreshold, textRange.count + 1 >= threshold else { return nil }
        if let frames = compressed.frames { return frames }
        // The frame's payload: the Engine.IO `4` and the text, or the msgpack parser's bytes.
        let payload = isBinary ? textRange : (textRange.lowerBound - 1)..<textRange.upperBound
        var frames = webSocket.compressedFrame(opcode: isBinary ? .binary : .text, payload: buffer[payload])
            ?? Array(buffer[frameStart..<textRange.upperBound])
        var position = textRange.upperBound
        for attachment in attachments {   // binary attachments follow as they are
            let headerLength = attachment.count < 126 ? 2 : attachment.count <= 0xFFFF ? 4 : 10
            frames.append(contentsOf: buffer[position..<(position + headerLength + attachment.count)])
            position += headerLength + attachment.count
        }
        compressed.frames = frames
        return frames
    }

    private static let reserved = 10

    /// Encodes a packet with the server's parser.
    @LoopActor
    init(_ packet: SocketIOPacket, parser: SocketIOParser) {
        switch parser {
        case .json: self.init(packet)
        case .msgpack: self.init(messagePack: packet)
        }
    }

    /// The packet as one MessagePack map in one binary message.
    @LoopActor
    private init(messagePack packet: SocketIOPacket) {
        #if DEBUG
        OutboundMessage.encodings &+= 1
        #endif
        let payload = MessagePackWriter.encode(packet.messagePackValue)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(payload.count + 10)
        WebSocketFrame.writeHeader(opcode: .binary, length: payload.count, into: &buffer)
        let start = buffer.count
        buffer.append(contentsOf: payload)
        self.buffer = buffer
        self.frameStart = 0
        self.textRange = start..<buffer.count
        self.attachments = []
        self.isBinary = true
        self.compressed = payload.count >= Self.compressibleSize ? CompressedFrames() : nil
    }

    @LoopActor
    init(_ packet: SocketIOPacket) {
        self.init { buffer in SocketIOEncoder.encode(packet, into: &buffer) }
    }

    /// The ack of an event whose arguments go back as the JSON text they arrived in
    /// (``RawArguments``), without building or writing a JSON value.
    @LoopActor
    init(ackID: Int, namespace: String, argumentsText text: [UInt8]) {
        self.init { buffer in
            SocketIOEncoder.writeHead(type: .ack, namespace: namespace, id: ackID, into: &buffer)
            buffer.append(UInt8(ascii: "["))
            buffer.append(contentsOf: text)
            buffer.append(UInt8(ascii: "]"))
            return []
        }
    }

    /// The CONNECT reply, `{"sid":…}` (and `"pid"` when the session can be recovered),
    /// written as text without building a JSON value.
    @LoopActor
    init(connectReplyIn namespace: String, sid: String, pid: String?) {
        self.init { buffer in
            SocketIOEncoder.writeHead(type: .connect, namespace: namespace, id: nil, into: &buffer)
            buffer.append(contentsOf: #"{"sid":"#.utf8)
            JSONSerializer.writeString(sid, into: &buffer)
            if let pid {
                buffer.append(contentsOf: #","pid":"#.utf8)
                JSONSerializer.writeString(pid, into: &buffer)
            }
            buffer.append(UInt8(ascii: "}"))
            return []
        }
    }

    /// One allocation: room for a short packet, the frame header's reserved bytes zeroed.
    /// Not isolated: a closure handed to the standard library from loop-isolated code has its
    /// isolation checked at run time on every call.
    private nonisolated static func newBuffer() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 96) { bytes, count in
            UnsafeMutableBufferPointer(rebasing: bytes[0..<reserved]).initialize(repeating: 0)
            count = reserved
        }
    }

    /// A text message: `writeText` appends the packet text and returns its attachments.
    @LoopActor
    private init(writingText writeText: (inout [UInt8]) -> [[UInt8]]) {
        #if DEBUG
        OutboundMessage.encodings &+= 1
        #endif
        var buffer = Self.newBuffer()
        buffer.append(EnginePacketType.message.digit)
        let attachments = writeText(&buffer)
        let payloadLength = buffer.count - Self.reserved
        let start: Int
        if payloadLength < 126 {
            start = Self.reserved - 2
            buffer[start] = 0x81
            buffer[start + 1] = UInt8(payloadLength)
        } else if payloadLength <= 0xFFFF {
            start = Self.reserved - 4
            buffer[start] = 0x81
            buffer[start + 1] = 126
            buffer[start + 2] = UInt8(payloadLength >> 8)
            buffer[start + 3] = UInt8(payloadLength & 0xFF)
        } else {
            start = 0
            buffer[0] = 0x81
            buffer[1] = 127
            for i in 0..<8 { buffer[2 + i] = UInt8((payloadLength >> (56 - 8 * i)) & 0xFF) }
        }
        for attachment in attachments {
            WebSocketFrame.writeHeader(opcode: .binary, length: attachment.count, into: &buffer)
            buffer.append(contentsOf: attachment)
        }
        self.buffer = buffer
        self.frameStart = start
        self.textRange = (Self.reserved + 1)..<(Self.reserved + payloadLength)
        self.attachments = attachments
        self.isBinary = false
        self.compressed = payloadLength >= Self.compressibleSize ? CompressedFrames() : nil
    }

    /// The number of Engine.IO packets: the text and one per attachment.
    var packetCount: Int { 1 + attachments.count }

    /// The same message as Engine.IO packets, for long-polling.
    var packets: [EnginePacket] {
        if isBinary { return [EnginePacket(.message, .binary(Array(buffer[textRange])))] }
        return [EnginePacket(.message, .text(Array(buffer[textRange])))] + attachments.map { EnginePacket(.message, .binary($0)) }
    }
}

/// The compressed frames of one ``OutboundMessage``, shared by its copies.
@LoopActor
final class CompressedFrames {
    var frames: [UInt8]?
}
