import Flagon
import FlagonHTTP
import FlagonJSON
import FlagonLoop
import FlagonSocketIOCore

/// An Engine.IO v4 server: long-polling, WebSocket and the upgrade between them, with
/// heartbeats, as a mountable handler. The Socket.IO server stands on it; alone, it is a
/// raw Engine.IO endpoint.
///
/// ```swift
/// let engine = EngineServer(options: EngineOptions())
/// engine.onConnection = { session in
///     session.onMessage = { data in session.send(data) }   // echo
/// }
/// app.mount("/engine.io", engine)
/// ```
@LoopActor
public final class EngineServer: HTTPHandler {
    /// The settings.
    public let options: EngineOptions
    /// Called for each new session, before any of its messages.
    public var onConnection: ((EngineSession) -> Void)?
    private(set) var sessions: [String: EngineSession] = [:]
    /// The timers of the sessions (heartbeats, upgrades, connect and ack timeouts): empty
    /// once every session has ended.
    public let handles = HandleGroup()
    /// Every session's next deadline (heartbeat, upgrade probe, closing flush) on one timer.
    public private(set) lazy var deadlines = DeadlineQueue(group: handles)
    /// `true` while a graceful shutdown closes the sessions: new handshakes get 503.
    public var isDraining = false
    private var addressLimits = AddressLimits()
    /// With several workers, the limits are counted for the whole server.
    private let workerLimits = WorkerAddressLimits.shared
    private lazy var limitScope = workerLimits?.makeScope() ?? 0

    /// Creates a server.
    public init(options: EngineOptions = EngineOptions()) {
        self.options = options
        if options.handshakeRateLimit != nil || options.maxSessionsPerAddress != nil { _ = limitScope }
    }

    /// Open sessions.
    public var sessionCount: Int { sessions.count }

    /// The session with this id.
    public func session(_ id: String) -> EngineSession? { sessions[id] }

    /// Closes every session (a shutdown hook).
    public func closeAll(reason: EngineCloseReason = .serverShutdown) {
        for session in Array(sessions.values) { session.close(reason: reason) }
    }

    func remove(_ session: EngineSession) {
        guard sessions[session.id] === session else { return }
        sessions[session.id] = nil
        if let address = session.address {
            if let workerLimits { workerLimits.closed(address, scope: limitScope) } else { addressLimits.sessionClosed(address) }
        }
    }

    // MARK: Requests

    public func respond(to request: Request) async throws -> Response {
        guard let cors = corsHeaders(for: request) else {
            return Self.error(.badRequest, headers: HTTPHeaders())
        }
        if request.method == "OPTIONS" {
            var headers = cors
            headers.add("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
            headers.add("Access-Control-Allow-Headers", request.headers["access-control-request-headers"] ?? "content-type")
            headers.add("Access-Control-Max-Age", "86400")
            return Response(status: 204, headers: headers)
        }
        var response = try await route(request)
        if response.status != 101 {
            for (name, value) in cors { response.headers.add(name, value) }
            // Long-polling payloads above the threshold, for clients that accept gzip or deflate.
            if let threshold = options.httpCompression, request.method == "GET" {
                response = Compression.compress(response, for: request, threshold: threshold)
            }
        }
        return response
    }

    private func route(_ request: Request) async throws -> Response {
        let query = request.query
        // Each Engine.IO parameter at most once: two values would make the choice arbitrary.
        for name in ["EIO", "transport", "sid"] where query.count(of: name) > 1 {
            return Self.error(.badRequest, "Bad request: \(name) given more than once")
        }
        guard query["EIO"] == "4" else { return Self.error(.unsupportedProtocolVersion) }
        guard let transport = query["transport"].flatMap(EngineTransport.init(rawValue:)),
              options.transports.contains(transport) else { return Self.error(.unknownTransport) }
        if let sid = query["sid"] {
            guard let session = sessions[sid] else { return Self.error(.unknownSessionID) }
            if transport == .websocket {
                do {
                    return try session.upgradeRequest(request)
                } catch {
                    return Self.error(.badRequest)
                }
            }
            guard session.transport == .polling else { return Self.error(.badRequest) }
            switch request.method {
            case "GET": return await session.poll(request)
            case "POST":
                switch session.receive(post: request) {
                case .answered(let response): return response
                case .many(let packets): return await session.receive(slices: packets)
                }
            default: return Self.error(.badHandshakeMethod)
            }
        }
        guard request.method == "GET" else { return Self.error(.badHandshakeMethod) }
        if isDraining { return Self.error(.forbidden, "Server is shutting down", status: 503) }
        // Addresses are only looked at (and counted) when a per-address limit is on.
        let address = options.handshakeRateLimit != nil || options.maxSessionsPerAddress != nil
            ? AddressLimits.address(of: request) : nil
        if let address {
            let refusal = if let workerLimits {
                await workerLimits.admit(address, scope: limitScope, options: options)   // counted there when admitted
            } else {
                addressLimits.admit(address, options: options, now: EventLoop.shared.nowMilliseconds)
            }
            if let refusal { return Self.error(.forbidden, refusal, status: 429) }
        }
        if let allowRequest = options.allowRequest, !(await allowRequest(request)) {
            if let address, let workerLimits { workerLimits.closed(address, scope: limitScope) }   // admitted, never opened
            return Self.error(.forbidden, status: 403)
        }
        switch transport {
        case .polling:
            let session = EngineSession(server: self, request: StoredRequest(request), transport: .polling)
            session.address = address
            register(session)
            var response = Response(status: 200, headers: ["Content-Type": "text/plain; charset=UTF-8"],
                                    body: session.openPacket(upgrades: options.allowUpgrades && options.transports.contains(.websocket)))
            addCookie(session, to: &response.headers)
            session.start()
            return response
        case .websocket:
            let id = EngineSession.makeID()
            var extra = HTTPHeaders()
            addCookie(id: id, to: &extra)
            do {
                return try WebSocket.upgrade(request, maxMessageBytes: options.maxPayload, extraHeaders: extra,
                                             compression: options.perMessageDeflate) { [self] ws in
                    let session = EngineSession(server: self, request: ws.storedRequest, transport: .websocket, id: id)
                    session.address = address
                    self.register(session)
                    session.attach(ws)
                    ws.send(textBytes: session.openPacket(upgrades: false))
                    session.start()
                }
            } catch {
                if let address, let workerLimits { workerLimits.closed(address, scope: limitScope) }
                return Self.error(.badRequest, status: error.status)
            }
        }
    }

    /// The counters, changed in place per message with no dynamic exclusivity check
    /// (``LoopConfinedCell``: each change is one statement that calls nothing out).
    let counters = LoopConfinedCell.holding(EngineStatistics())
    /// Counters since the server started.
    public var statistics: EngineStatistics { counters.value }

    private func register(_ session: EngineSession) {
        counters.value.handshakes += 1
        sessions[session.id] = session
        if let address = session.address, workerLimits == nil { addressLimits.sessionOpened(address) }
        onConnection?(session)
    }

    private func addCookie(_ session: EngineSession, to headers: inout HTTPHeaders) {
        addCookie(id: session.id, to: &headers)
    }

    private func addCookie(id: String, to headers: inout HTTPHeaders) {
        guard var cookie = options.cookie else { return }
        cookie.value = id
        headers.add("Set-Cookie", cookie.headerValue)
    }

    /// CORS response headers, empty for same-origin requests, `nil` when the origin is refused.
    func corsHeaders(for request: Request) -> HTTPHeaders? {
        guard let origin = request.headers["origin"] else { return HTTPHeaders() }
        let allowed: Bool
        switch options.cors {
        case .any: allowed = true
        case .sameOrigin: allowed = Self.isSameOrigin(origin, request)
        case .origins(let list): allowed = list.contains(origin) || Self.isSameOrigin(origin, request)
        }
        guard allowed else { return nil }
        var headers: HTTPHeaders = ["Access-Control-Allow-Origin": origin, "Vary": "Origin"]
        if options.corsCredentials { headers.add("Access-Control-Allow-Credentials", "true") }
        return headers
    }

    private static func isSameOrigin(_ origin: String, _ request: Request) -> Bool {
        guard let host = request.headers["host"] else { return false }
        return origin == "http://" + host || origin == "https://" + host
    }

    /// A 400 (or other) answer with the JSON body Node's engine.io sends.
    static func error(_ code: EngineErrorCode, _ message: String? = nil, status: Int = 400,
                      headers: HTTPHeaders = HTTPHeaders()) -> Response {
        var response = Response.json(["code": .int(code.rawValue), "message": .string(message ?? code.message)], status: status)
        for (name, value) in headers { response.headers.add(name, value) }
        return response
    }
}
