/// The chat page: a login form when nobody is logged in, otherwise the chat, driven by the
/// official Socket.IO JavaScript client (served from /static/vendor, installed at set-up).
enum ChatPage {
    static func html(user: String?) -> String {
        let body: String
        if let user {
            body = """
            <p>Logged in as <strong id="user">\(escape(user))</strong>. <a href="/logout">Log out</a></p>
            <form id="join-form"><input id="room" value="lobby" aria-label="room"> <button>Join</button></form>
            <p>Online in the room: <span id="online">nobody</span></p>
            <form id="say-form"><input id="text" aria-label="message" autocomplete="off"> <button>Say</button></form>
            <ul id="log"></ul>
            <script src="/static/vendor/socket.io.min.js"></script>
            <script src="/static/chat.js"></script>
            """
        } else {
            body = """
            <form id="login-form" method="post" action="/login">
              <label>Your name <input id="name" name="name" required maxlength="32"></label> <button>Log in</button>
            </form>
            """
        }
        return """
        <!doctype html>
        <html><head><meta charset="utf-8"><title>Flagon chat</title><link rel="stylesheet" href="/static/style.css"></head>
        <body data-state="ready">
        <h1>Flagon</h1>
        <p>A chat on Flagon's Socket.IO server. Also here: <a href="/hello/world">/hello/&lt;name&gt;</a>,
        <a href="/users/42">/users/&lt;int:id&gt;</a> (JSON), <a href="/counter">/counter</a> (session),
        <a href="/static/about.html">a static page</a>.</p>
        \(body)
        </body></html>
        """
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
