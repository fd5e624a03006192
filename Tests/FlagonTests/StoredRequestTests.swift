import FlagonHTTP
import FlagonLoop
import Testing
@testable import Flagon

/// A kept handshake rebuilds exactly the request it was made from, in one small buffer.
@Suite struct StoredRequestTests {
    @Test @LoopActor func rebuildsEveryFieldAndSharesTheContext() {
        var request = Request(method: "GET", target: "/chat/caf%C3%A9?EIO=4&transport=websocket&t=%20x",
                              headers: ["Host": "127.0.0.1:3000", "Upgrade": "websocket", "Connection": "Upgrade",
                                        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13",
                                        "X-Empty": "", "X-Note": "naïve ☃", "cookie": "a=1"],
                              body: [1, 2, 3], remoteAddress: "10.0.0.7:51234")
        request.headers.add("Cookie", "b=2")   // a repeated name keeps both fields, in order
        request.scriptName = "/socket.io"
        request.minorVersion = 0
        request.parameters.values = ["room": "lobby", "id": "7"]
        let kept = StoredRequest(request)
        let again = kept.request
        #expect(again.method == "GET" && again.path == "/chat/café" && again.scriptName == "/socket.io")
        #expect(again.rawQuery == "EIO=4&transport=websocket&t=%20x" && again.query["t"] == " x")
        #expect(again.headers.fields.map(\.name) == request.headers.fields.map(\.name))
        #expect(again.headers.fields.map(\.value) == request.headers.fields.map(\.value))
        #expect(again.headers.values(for: "cookie") == ["a=1", "b=2"] && again.headers["x-empty"] == "")
        #expect(again.body == [1, 2, 3] && again.remoteAddress == "10.0.0.7:51234" && again.minorVersion == 0)
        #expect(again.parameters == request.parameters)
        #expect(again.context === request.context)
        // Common names and values take a byte each: the buffer is smaller than the text it keeps.
        let fields = [request.method, request.path, request.scriptName, request.rawQuery, request.remoteAddress!, "room", "lobby", "id", "7"]
            + request.headers.fields.flatMap { [$0.name, $0.value] }
        let text = fields.reduce(request.body.count) { $0 + $1.utf8.count }
        #expect(kept.byteCount < text - 40)
        let bare = StoredRequest(Request(method: "POST", target: "/")).request
        #expect(bare.method == "POST" && bare.path == "/" && bare.rawQuery == "" && bare.remoteAddress == nil)
        #expect(bare.headers.count == 0 && bare.body.isEmpty && bare.minorVersion == 1)
    }
}
