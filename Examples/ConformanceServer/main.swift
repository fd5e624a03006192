import Flagon
import FlagonLoop
import FlagonSocketIO
#if canImport(Glibc)
import Glibc
#endif

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
    var engineOptions = EngineOptions()
    engineOptions.pingInterval = 300
    engineOptions.pingTimeout = 200
    engineOptions.cors = .any
    let engine = EngineServer(options: engineOptions)
    engine.onConnection = { session in
        session.onMessage = { data in session.send(data) }
    }
    app.mount("/engine.io", engine)
    return app
}

let app = await makeConformanceApp()
try await app.run(host: "127.0.0.1", port: getenv("PORT").flatMap { Int(String(cString: $0)) } ?? 3000)
