import FlagonSocketIO

/// The README's first example, compiled here so that it stays true (never run: it serves forever).
func readmeExample() async throws {
    try await App.run { app in
        app.get("/") { _ in "<h1>Hello from Flagon</h1>" }
        app.get("/users/<int:id>") { request in
            JSONValue(["id": .int(try request.parameters.require("id", as: Int.self))])
        }
        let sio = SocketIOServer()
        sio.of("/chat").onConnect { socket, _ in socket.join("lobby") }
        sio.of("/chat").on("say") { (socket: Socket, text: String) -> Bool in
            socket.to("lobby").emit("said", .string(text))
            return true
        }
        sio.attach(to: app)
    }
}
