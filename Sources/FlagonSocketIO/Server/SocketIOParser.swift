/// How Socket.IO packets are written on the wire.
///
/// ```swift
/// var options = SocketIOOptions()
/// options.parser = .msgpack   // python-socketio: serializer='msgpack'; JS: socket.io-msgpack-parser
/// ```
public enum SocketIOParser: Sendable, Equatable {
    /// socket.io's default: text packets with JSON, binary as attachments.
    case json
    /// `socket.io-msgpack-parser`'s: every packet one MessagePack map `{type, data, nsp, id}`
    /// in a binary Engine.IO message, binary as `bin`, no attachments. Every client of the
    /// server must use it.
    case msgpack
}
