import Flagon
import FlagonLoop

extension Server {
    /// Starts `app` on 127.0.0.1 at a port the system picks, without signal handling (as
    /// tests want it); returns the server and its port.
    ///
    /// ```swift
    /// let (server, port) = try Server.startOnLoopback(app)
    /// defer { Task { await server.shutdown() } }
    /// ```
    @LoopActor
    public static func startOnLoopback(_ app: App, options: ServerOptions = ServerOptions()) throws -> (Server, Int) {
        var options = options
        options.host = "127.0.0.1"
        options.port = 0
        options.handleSignals = false
        let server = try Server(app: app, options: options)
        return (server, try server.start())
    }
}
