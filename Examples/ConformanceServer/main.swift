import Flagon
import FlagonLoop

@LoopActor
func makeConformanceApp() -> App {
    let app = App()
    app.websocket("/echo") { ws in
        ws.onMessage = { message in
            switch message {
            case .text(let text): ws.send(text: text)
            case .binary(let bytes): ws.send(binary: bytes)
            }
        }
    }
    return app
}

let app = await makeConformanceApp()
try await app.run(host: "127.0.0.1", port: nil)
