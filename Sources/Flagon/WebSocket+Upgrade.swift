import FlagonCompression
import FlagonHTTP

extension WebSocket {
    /// Validates a handshake request and answers `101 Switching Protocols`; `open` receives
    /// the WebSocket once the connection is handed over. Throws 400 or 426 for bad handshakes.
    public static func upgrade(
        _ request: Request, maxMessageBytes: Int = 16 * 1024 * 1024,
        extraHeaders: HTTPHeaders = HTTPHeaders(), compression: WebSocketCompression? = nil,
        open: @escaping @LoopActor @Sendable (WebSocket) -> Void
    ) throws(HTTPError) -> Response {
        let key: String
        switch WebSocketFrame.validateHandshake(method: request.method, headers: request.headers) {
        case .success(let value): key = value
        case .failure(let refusal):
            var headers = HTTPHeaders()
            if refusal.status == 426 { headers.add("Sec-WebSocket-Version", "13") }
            throw HTTPError(refusal.status, refusal.reason, headers: headers)
        }
        let accept = WebSocketFrame.acceptValue(forKey: key)
        var headers = HTTPHeaders()
        headers.reserveCapacity(4 + extraHeaders.count)
        headers.add("Upgrade", "websocket")
        headers.add("Connection", "Upgrade")
        headers.add("Sec-WebSocket-Accept", accept)
        for (name, value) in extraHeaders { headers.add(name, value) }
        var deflate: NegotiatedDeflate?
        if let compression, let agreement = PerMessageDeflateNegotiation.response(to: request.headers.values(for: "Sec-WebSocket-Extensions")) {
            headers.add("Sec-WebSocket-Extensions", agreement.header)
            deflate = NegotiatedDeflate(settings: compression, windowBits: agreement.serverWindowBits)
        }
        return Response.switchingProtocols(headers: headers) { connection in
            let socket = WebSocket(connection: connection, maxMessageBytes: maxMessageBytes, deflate: deflate)
            open(socket)
            socket.start()
        }
    }
}
