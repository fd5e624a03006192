import FlagonHTTP

/// Settings of a ``Server``. Every limit has a default and can be changed.
///
/// ```swift
/// var options = ServerOptions()
/// options.port = 8080
/// options.limits.maxBodyBytes = 1 << 20
/// ```
public struct ServerOptions: Sendable {
    /// Address to listen on (default `127.0.0.1`; `::` or `0.0.0.0` for all interfaces).
    public var host = "127.0.0.1"
    /// Port (default 5000, as `flask run`; 0 picks a free one).
    public var port = 5000
    /// Where to listen instead of `host` and `port` (default empty: `host:port` alone): TCP
    /// addresses (IPv4, IPv6 with or without dual stack) and unix-domain sockets, all at once.
    ///
    /// ```swift
    /// options.listen = [.tcp(host: "0.0.0.0", port: 8080), .unix(path: "/run/chat/flagon.sock")]
    /// ```
    public var listen: [ListenAddress] = []
    /// What a connection through a unix-domain listener counts as: a trusted proxy (default
    /// `true`; the socket file's permissions decide who may connect, such as the nginx in
    /// front), whose `Forwarded`/`X-Forwarded-For` then names the client (``trustedProxies``).
    public var trustsUnixSocketPeers = true
    /// Lets several processes listen on the same port (`SO_REUSEPORT`). Only for processes
    /// that share no sessions: long-polling needs every request of a session on the process
    /// that has it. To use every core, run workers instead (``App/run(host:port:workers:)``).
    public var reusePort = false
    /// In a worker of a server with several workers (``WorkerIdentity/current``), serve the
    /// socket the workers share instead of binding `host` and `port` (default `true`).
    public var servesWorkerSocket = true
    /// Parser limits: request line, headers, body.
    public var limits = HTTPLimits()
    /// Time allowed to receive a request head, in milliseconds (default 10 s; then 408).
    public var headerTimeout: UInt64 = 10_000
    /// Time allowed to receive a request body once its head arrived (default 60 s; then 408).
    public var bodyTimeout: UInt64 = 60_000
    /// How long an idle keep-alive connection stays open, in milliseconds (default 5 s, as Node).
    public var keepAliveTimeout: UInt64 = 5_000
    /// How long a graceful shutdown waits for in-flight responses, in milliseconds (default 10 s).
    public var shutdownTimeout: UInt64 = 10_000
    /// Requests parsed ahead on one connection while an earlier one is handled (default 16).
    public var maxPipelinedRequests = 16
    /// Most open connections; more are closed at once (default 10,000).
    public var maxConnections = 10_000
    /// Bytes queued for one client above which the server stops reading from it (default 1 MiB).
    public var writeHighWaterMark = 1 << 20
    /// HTTPS and WSS instead of plain HTTP (default `nil`): TLS 1.2 and 1.3 with the given
    /// certificates. SIGHUP reloads them (``Server/reloadTLS()``).
    public var tls: TLSOptions?
    /// Proxies whose word is trusted (default none): when a request comes from one of these
    /// networks, the client's address is read from `Forwarded` or `X-Forwarded-For` (the
    /// rightmost hop that is not itself trusted) and its scheme from `proto` or
    /// `X-Forwarded-Proto`. Everything per address uses it: ``Request/remoteAddress``, the
    /// request log, the Socket.IO limits and handshake. From anyone else the headers are ignored.
    ///
    /// ```swift
    /// options.trustedProxies = [IPNetwork("127.0.0.1")!, IPNetwork("10.0.0.0/8")!]
    /// ```
    public var trustedProxies: [IPNetwork] = []
    /// Whether SIGINT and SIGTERM start a graceful shutdown in ``Server/run()``.
    public var handleSignals = true

    /// The defaults.
    public init() {}

    /// What the server listens on: ``listen``, or `host:port` when it is empty.
    public var addresses: [ListenAddress] { listen.isEmpty ? [.tcp(host: host, port: port)] : listen }
}
