import FlagonHTTP
import Testing

/// The opening handshake's checks, in their order, on header fields as clients send them.
@Suite struct WebSocketHandshakeTests {
    private let key = "dGhlIHNhbXBsZSBub25jZQ=="

    private func refusal(method: String = "GET", _ fields: [(String, String)]) -> WebSocketFrame.HandshakeRefusal? {
        switch WebSocketFrame.validateHandshake(method: method, headers: HTTPHeaders(fields)) {
        case .success: nil
        case .failure(let refusal): refusal
        }
    }

    @Test func acceptedFieldsInAnyCaseAndList() {
        let fields = [("host", "x"), ("UPGRADE", "WebSocket"), ("connection", "keep-alive, Upgrade"),
                      ("SEC-WEBSOCKET-VERSION", "13"), ("Sec-Websocket-Key", key)]
        #expect(WebSocketFrame.validateHandshake(method: "GET", headers: HTTPHeaders(fields)) == .success(key))
        // The token may be in a second field of the same name.
        let split = [("Upgrade", "websocket"), ("Connection", "keep-alive"), ("Connection", "upgrade"),
                     ("Sec-WebSocket-Version", "13"), ("Sec-WebSocket-Key", key)]
        #expect(refusal(split) == nil)
    }

    @Test func eachRefusalInItsOrder() {
        let good = [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Version", "13"), ("Sec-WebSocket-Key", key)]
        #expect(refusal(method: "POST", good)?.status == 400)
        #expect(refusal(Array(good.dropFirst()))?.reason == "missing Upgrade: websocket")
        #expect(refusal([("Upgrade", "h2c")] + good.dropFirst())?.reason == "missing Upgrade: websocket")
        #expect(refusal([good[0]] + good.dropFirst(2))?.reason == "missing Connection: Upgrade")
        #expect(refusal(good + [("sec-websocket-key", key)])?.reason == "Sec-WebSocket-Key and Sec-WebSocket-Version must appear once")
        #expect(refusal(good + [("sec-websocket-version", "13")])?.status == 400)
        #expect(refusal(Array(good.prefix(2)) + [("Sec-WebSocket-Version", "8"), good[3]])?.status == 426)
        #expect(refusal(Array(good.prefix(2)) + [good[3]])?.status == 426)   // no version at all
        #expect(refusal(Array(good.prefix(3)) + [("Sec-WebSocket-Key", "short")])?.reason == "invalid Sec-WebSocket-Key")
        #expect(refusal(Array(good.prefix(3)))?.reason == "invalid Sec-WebSocket-Key")
    }
}
