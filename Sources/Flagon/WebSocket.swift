import FlagonCompression
import FlagonHTTP
import FlagonLoop

/// A server-side WebSocket connection (RFC 6455) on the loop.
///
/// ```swift
/// app.websocket("/echo") { ws in
///     ws.onMessage = { message in
///         switch message {
///         case .text(let text): ws.send(text: text)
///         case .binary(let bytes): ws.send(binary: bytes)
///         }
///     }
/// }
/// ```
///
/// Pings are answered with pongs. A protocol violation closes the connection with the
/// matching code (1002, 1007 for invalid UTF-8, 1009 for a message over the limit).
@LoopActor
public final class WebSocket: TCPStreamHandler {
    /// The handshake request, kept compactly for the connection's life.
    public let storedRequest: StoredRequest
    /// The handshake request (rebuilt from ``storedRequest`` on each read: keep a copy to
    /// read it often).
    public var request: Request { storedRequest.request }
    /// Receives the messages, the close and the writable notifications: the one way they
    /// are delivered. The closures below are a convenience that installs a handler holding them.
    public var handler: (any WebSocketHandler)? {
        get { hot.value.handler }
        set { hot.value.handler = newValue }
    }

    /// Called for each complete message (sets a closure handler; see ``handler``).
    public var onMessage: ((WebSocketMessage) -> Void)? {
        get { (handler as? WebSocketClosures)?.onMessage }
        set { closures(creating: newValue != nil)?.onMessage = newValue }
    }

    /// Called once when the connection ends, with the close code (1006 when it was cut).
    public var onClose: ((_ code: UInt16, _ reason: String) -> Void)? {
        get { (handler as? WebSocketClosures)?.onClose }
        set { closures(creating: newValue != nil)?.onClose = newValue }
    }

    /// Called when the client's queue has drained after exceeding its high-water mark.
    public var onWritable: (() -> Void)? {
        get { (handler as? WebSocketClosures)?.onWritable }
        set { closures(creating: newValue != nil)?.onWritable = newValue }
    }

    /// The closure handler, installed when `creating` and the handler is not one already.
    private func closures(creating: Bool) -> WebSocketClosures? {
        if let closures = handler as? WebSocketClosures { return closures }
        guard creating else { return nil }
        let closures = WebSocketClosures()
        handler = closures
        return closures
    }
    /// Bytes that may wait for a slow client; past this the connection is dropped with
    /// close code 1008 (default 16 MiB).
    public var maxBufferedBytes: Int {
        get { hot.value.maxBufferedBytes }
        set { hot.value.maxBufferedBytes = newValue }
    }

    let stream: TCPStream
    private var closeTimer: LoopTimer?
    /// permessage-deflate, when the handshake agreed to it.
    var deflate: NegotiatedDeflate? {
        get { hot.value.deflate }
        set { hot.value.deflate = newValue }
    }
    private var parser: WebSocketFrameParser {
        _read { yield hot.value.parser }
        _modify { yield &hot.value.parser }
    }
    /// `true` until a close frame was sent or received, or the connection was cut.
    public private(set) var isOpen: Bool {
        get { hot.value.isOpen }
        set { hot.value.isOpen = newValue }
    }

    /// The state read or changed per frame, in a cell: no dynamic exclusivity check per
    /// access. Sound because no code that runs during an access reaches the cell again: the
    /// parser is a value advanced by ``received(_:)`` only, and its events are taken out
    /// before the handler is called; the rest is read or set in one statement.
    private struct HotState {
        var handler: (any WebSocketHandler)?
        var maxBufferedBytes = 16 * 1024 * 1024
        var deflate: NegotiatedDeflate?
        var parser: WebSocketFrameParser
        var isOpen = true
    }

    private let hot: LoopConfinedCell<HotState>
    private var closeNotified = false
    private var closeSent = false
    private var maxMessageBytes: Int { parser.maxMessageBytes }

    /// `true` when permessage-deflate was negotiated.
    public var isCompressing: Bool { deflate != nil }
    /// Messages of at least this many bytes are compressed (`nil` when not compressing).
    public var compressionThreshold: Int? { deflate?.settings.threshold }

    /// Takes over an upgraded connection.
    public convenience init(connection: UpgradedConnection, maxMessageBytes: Int) {
        self.init(connection: connection, maxMessageBytes: maxMessageBytes, deflate: nil)
    }

    init(connection: UpgradedConnection, maxMessageBytes: Int, deflate: NegotiatedDeflate?) {
        storedRequest = StoredRequest(connection.request)
        stream = connection.stream
        var parser = WebSocketFrameParser(maxMessageBytes: maxMessageBytes)
        parser.acceptsCompressed = deflate != nil
        hot = LoopConfinedCell.holding(HotState(deflate: deflate, parser: parser))
        // The stream keeps the WebSocket (its handler) alive until it closes.
        stream.handler = self
        if !connection.initialBytes.isEmpty {
            connection.initialBytes.withRawBytes { received($0) }
        }
    }

    public func streamRead(_ stream: TCPStream, _ bytes: UnsafeRawBufferPointer) { received(bytes) }

    public func streamEndOfFile(_ stream: TCPStream) {
        notifyClose(1006, "connection closed without a close frame")
        stream.close()
    }

    public func streamClosed(_ stream: TCPStream, error: UVError?) {
        closeTimer?.close()
        closeTimer = nil
        notifyClose(1006, "connection lost")
    }

    public func streamWritable(_ stream: TCPStream) { handler?.webSocketWritable(self) }

    /// Starts reading (call after setting the callbacks; ``Flagon/App/websocket(_:maxMessageBytes:_:)`` does it).
    public func start() {
        stream.startReading()
    }

    /// Bytes queued for the client and not yet sent.
    public var bufferedBytes: Int { stream.pendingWriteBytes }

    /// `true` while the queue is below the stream's high-water mark.
    public var isWritable: Bool { stream.isWritable }

    /// Sends a text message.
    public func send(text: String) {
        send(opcode: .text, payload: Array(text.utf8))
    }

    /// Sends a text message given as UTF-8 bytes (which must be valid UTF-8).
    public func send(textBytes: [UInt8]) {
        send(opcode: .text, payload: textBytes)
    }

    /// Sends a binary message.
    public func send(binary: [UInt8]) {
        send(opcode: .binary, payload: binary)
    }

    /// Sends a frame; the header and the payload join the stream's batched writes.
    public func send(opcode: WebSocketFrame.Opcode, payload: [UInt8]) {
        guard isOpen, checkBuffer(adding: payload.count) else { return }
        if let deflate, opcode == .text || opcode == .binary, payload.count >= deflate.settings.threshold,
           let frame = deflate.frame(opcode: opcode, payload: payload) {
            stream.write(frame)
            return
        }
        writeFrame(opcode: opcode, prefix: nil, body: payload)
    }

    /// The frame of a message compressed for this connection, when it compresses and the
    /// message is at least its threshold; `nil` to send it as it is.
    public func compressedFrame(opcode: WebSocketFrame.Opcode, payload: some Collection<UInt8>) -> [UInt8]? {
        guard let deflate, payload.count >= deflate.settings.threshold else { return nil }
        return deflate.frame(opcode: opcode, payload: payload)
    }

    /// Writes a header, an optional first payload byte and the body into the batched writes.
    private func writeFrame(opcode: WebSocketFrame.Opcode, prefix: UInt8?, body: [UInt8]) {
        let length = body.count + (prefix == nil ? 0 : 1)
        let header = WebSocketFrame.headerLength(payload: length)
        stream.write(length: header + length) { out in
            var at = WebSocketFrame.writeHeader(opcode: opcode, length: length, into: out)
            if let prefix {
                out[at] = prefix
                at += 1
            }
            body.withRawBytes { UnsafeMutableRawBufferPointer(rebasing: out[at...]).copyMemory(from: $0) }
        }
    }

    /// Writes a frame encoded beforehand (a broadcast encodes its frame once for every recipient).
    public func send(frame: [UInt8]) {
        guard isOpen, checkBuffer(adding: frame.count) else { return }
        stream.write(frame)
    }

    /// Writes frames encoded beforehand that start at `offset` in `frames`.
    public func send(frames: [UInt8], from offset: Int) {
        guard isOpen, checkBuffer(adding: frames.count - offset) else { return }
        stream.write(frames[offset...])
    }

    /// Writes frames encoded beforehand when the send buffer is below its high-water mark
    /// (one look at the buffer, for fan-out); `false`, with nothing written, when it is not.
    public func sendIfWritable(frames: [UInt8], from offset: Int) -> Bool {
        let pending = stream.pendingWriteBytes
        guard pending < stream.highWaterMark else { return false }
        let size = frames.count - offset
        guard isOpen else { return true }
        if pending + size > maxBufferedBytes {
            _ = checkBuffer(adding: size)   // a single message past the limit: closes with 1008
            return true
        }
        stream.write(frames[offset...])
        return true
    }

    /// Writes a text message in place, straight into the send buffer, when that buffer is
    /// below its high-water mark and compression is off: `length` is the payload's exact
    /// size and `body` writes all of it into the buffer it is given (exactly `length` bytes
    /// long). `false`, with nothing written, otherwise.
    ///
    /// ```swift
    /// _ = ws.sendTextIfWritable(length: 5) { out in out.copyBytes(from: "hello".utf8) }
    /// ```
    public func sendTextIfWritable(length: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void) -> Bool {
        guard isOpen, deflate == nil else { return false }
        let pending = stream.pendingWriteBytes
        guard pending < stream.highWaterMark, pending + length + 10 <= maxBufferedBytes else { return false }
        let header = WebSocketFrame.headerLength(payload: length)
        stream.write(length: header + length) { out in
            _ = WebSocketFrame.writeHeader(opcode: .text, length: length, into: out)
            body(UnsafeMutableRawBufferPointer(rebasing: out[header...]))
        }
        return true
    }

    /// Sends a text message made of one prefix byte and a body, without joining them first.
    public func send(textPrefix prefix: UInt8, body: [UInt8]) {
        guard isOpen, checkBuffer(adding: body.count + 1) else { return }
        writeFrame(opcode: .text, prefix: prefix, body: body)
    }

    /// Drops a client that lets too much pile up; `false` when the message must not be sent.
    private func checkBuffer(adding count: Int) -> Bool {
        guard stream.pendingWriteBytes + count > maxBufferedBytes else { return true }
        sendClose(code: 1008, reason: "client too slow")
        notifyClose(1008, "client too slow")
        stream.closeGracefully(lingerMilliseconds: 500)
        return false
    }

    /// Starts the closing handshake; the TCP connection closes when the client answers,
    /// or after two seconds.
    public func close(code: UInt16 = 1000, reason: String = "") {
        guard isOpen else { return }
        sendClose(code: code, reason: reason)
        closeTimer = LoopTimer { [weak self] in self?.stream.close() }
        closeTimer?.start(afterMilliseconds: 2000)
        notifyClose(code, reason)
    }

    /// Closes the TCP connection at once, without a closing handshake.
    public func abort() {
        notifyClose(1006, "aborted")
        stream.close()
    }

    private func sendClose(code: UInt16, reason: String) {
        if closeSent { return }
        closeSent = true
        stream.write(WebSocketFrame.closeFrame(code: code, reason: reason))
        isOpen = false
    }

    private func received(_ bytes: UnsafeRawBufferPointer) {
        parser.feed(bytes)
        while !stream.isClosed {
            // Most messages are one frame: handed on as a slice of the parser's buffer, no event built.
            var isText = false
            if let payload = parser.nextWholeMessage(isText: &isText) {
                if isOpen { handler?.webSocket(self, received: payload, isText: isText) }
                continue
            }
            // Bound straight from the call and consumed by the switch: the payloads move out
            // of the event instead of being copied from it.
            guard let event = nextEvent() else { return }
            switch consume event {
            case .text(let bytes):
                guard isOpen else { break }
                handler?.webSocket(self, received: bytes, isText: true)
            case .binary(let bytes):
                guard isOpen else { break }
                handler?.webSocket(self, received: bytes, isText: false)
            case .ping(let payload):
                if !closeSent { send(opcode: .pong, payload: payload) }
            case .pong:
                break
            case .compressed(let isText, let bytes):
                guard isOpen else { break }
                let inflated: [UInt8]
                do {
                    inflated = try MessageCodecs.inflater.decompress(bytes, limit: maxMessageBytes)
                } catch {
                    let failure: WebSocketError = if case .tooLarge = error { .messageTooBig(max: maxMessageBytes) } else {
                        .protocolError("invalid compressed data")
                    }
                    // 1007 for data that does not inflate (as Node's ws), 1009 past the limit.
                    let code: UInt16 = failure == .messageTooBig(max: maxMessageBytes) ? 1009 : 1007
                    sendClose(code: code, reason: failure.message)
                    notifyClose(code, failure.message)
                    stream.closeGracefully(lingerMilliseconds: 1000)
                    return
                }
                if isText {
                    var validator = UTF8Validator()
                    let valid = inflated.withUnsafeBytes { validator.feed($0) } && validator.isComplete
                    guard valid else {
                        sendClose(code: 1007, reason: WebSocketError.invalidUTF8.message)
                        notifyClose(1007, WebSocketError.invalidUTF8.message)
                        stream.closeGracefully(lingerMilliseconds: 1000)
                        return
                    }
                }
                handler?.webSocket(self, received: inflated[...], isText: isText)
            case .close(let code, let reason):
                if !closeSent {
                    closeSent = true
                    isOpen = false
                    if let code {
                        stream.write(WebSocketFrame.closeFrame(code: code))
                    } else {
                        stream.write(WebSocketFrame.frame(opcode: .close, payload: []))
                    }
                }
                notifyClose(code ?? 1005, reason)
                stream.closeGracefully(lingerMilliseconds: 1000)
                return
            }
        }
    }

    /// The parser's next event; `nil` when more bytes are needed, or after a protocol error
    /// (the connection is then closing, with the error's code).
    private func nextEvent() -> WebSocketFrameParser.Event? {
        do {
            return try parser.next()
        } catch {
            sendClose(code: error.closeCode, reason: error.message)
            notifyClose(error.closeCode, error.message)
            stream.closeGracefully(lingerMilliseconds: 1000)
            return nil
        }
    }

    private func notifyClose(_ code: UInt16, _ reason: String) {
        isOpen = false
        if closeNotified { return }
        closeNotified = true
        let handler = self.handler
        self.handler = nil
        handler?.webSocketClosed(self, code: code, reason: reason)
    }
}
