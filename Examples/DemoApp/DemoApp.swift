import Flagon
import FlagonJSON
import FlagonLoop
#if canImport(Glibc)
import Glibc
#endif

/// The demo application: routes, typed parameters, JSON, a static page and a session counter.
public enum DemoApp {
    /// The folder of the demo's static files.
    public static let staticDirectory: String = {
        var path = #filePath
        while let last = path.last, last != "/" { path.removeLast() }
        return path + "static"
    }()

    /// Builds the app. `secretKey` signs the session cookie (random when not given).
    @LoopActor
    public static func make(secretKey: [UInt8]? = nil) -> App {
        let app = App()
        let key = secretKey ?? getenv("FLAGON_SECRET_KEY").map { Array(String(cString: $0).utf8) } ?? Crypto.randomBytes(32)
        app.use(SessionMiddleware(secretKey: key))

        app.get("/") { _ in
            Response.html("""
            <!doctype html><html><head><meta charset="utf-8"><title>Flagon</title>
            <link rel="stylesheet" href="/static/style.css"></head><body>
            <h1>Flagon</h1>
            <ul>
              <li><a href="/hello/world">/hello/&lt;name&gt;</a></li>
              <li><a href="/users/42">/users/&lt;int:id&gt;</a> (JSON)</li>
              <li><a href="/counter">/counter</a> (session)</li>
              <li><a href="/static/about.html">/static/about.html</a></li>
            </ul></body></html>
            """)
        }
        app.get("/hello/<name>") { request in
            Response.text("Hello, \(request.parameters["name"]!)!")
        }
        app.get("/users/<int:id>") { request in
            JSONValue(["id": .int(request.parameters.int("id")!), "name": .string("user \(request.parameters.int("id")!)")])
        }
        app.post("/api/echo") { request in
            JSONValue(["received": try request.json()])
        }
        app.get("/counter") { request in
            let count = (request.session["count"]?.intValue ?? 0) + 1
            request.session["count"] = .int(count)
            return JSONValue(["count": .int(count)])
        }
        app.post("/counter/reset") { request in
            request.session.clear()
            return Response.redirect(to: "/counter", status: 303)
        }
        app.get("/plain") { _ in Response.text("Hello, World!") }
        app.static("/static", directory: staticDirectory)
        return app
    }
}
