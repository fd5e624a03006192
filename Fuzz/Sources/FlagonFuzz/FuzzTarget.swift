/// The fuzz targets, one per parser.
enum FuzzTarget: String, CaseIterable {
    /// The HTTP/1.1 request parser, fed in two or three pieces.
    case http
    /// The WebSocket frame parser and its UTF-8 validator, fed in pieces.
    case websocket
    /// The JSON parser, with a parse → serialize → parse round trip.
    case json
    /// Engine.IO packets and long-polling payloads, with a re-encode round trip.
    case engineio
    /// The Socket.IO decoder (text and binary messages), with a re-encode round trip.
    case socketio
    /// Cookie headers, signed session cookies, query strings and forms.
    case cookies
    /// The MessagePack reader, with a write → read → write round trip.
    case msgpack
    /// The Redis reply parser, fed in pieces.
    case resp
    /// Broadcasts, requests and responses of the Redis adapter, with a re-encode round trip.
    case redis
    /// The frames between workers, fed in pieces, with a re-encode round trip.
    case workers
    /// A TLS server's input before, inside and after a handshake (OpenSSL on memory BIOs).
    case tls

    func run(_ input: [UInt8]) {
        switch self {
        case .http: HTTPFuzz.run(input)
        case .websocket: WebSocketFuzz.run(input)
        case .json: JSONFuzz.run(input)
        case .engineio: EngineIOFuzz.run(input)
        case .socketio: SocketIOFuzz.run(input)
        case .cookies: CookieFuzz.run(input)
        case .msgpack: MessagePackFuzz.run(input)
        case .workers: WorkerFrameFuzz.run(input)
        case .resp: RESPFuzz.run(input)
        case .redis: RedisMessageFuzz.run(input)
        case .tls: TLSFuzz.run(input)
        }
    }
}

/// Cuts an input into up to three pieces at offsets its first two bytes choose.
func pieces(_ input: [UInt8]) -> [[UInt8]] {
    guard input.count > 2 else { return [input] }
    let body = Array(input.dropFirst(2))
    let a = Int(input[0]) * body.count / 256
    let b = a + Int(input[1]) * (body.count - a) / 256
    return [Array(body[..<a]), Array(body[a..<b]), Array(body[b...])]
}
