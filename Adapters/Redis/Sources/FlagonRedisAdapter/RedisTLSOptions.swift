import FlagonTLS

/// How a `rediss://` connection verifies Redis and, when Redis asks, presents itself.
///
/// ```swift
/// var options = RedisAdapterOptions(url: "rediss://redis.internal:6380")
/// options.tls.caFile = "/etc/flagon/redis-ca.pem"
/// ```
public struct RedisTLSOptions: Sendable, Equatable {
    /// The CA certificates (PEM) Redis's certificate must chain to; `nil`: the system's.
    public var caFile: String?
    /// `false` skips verification entirely: for tests only, never in production.
    public var verifyPeer = true
    /// A client certificate and key, for a Redis that requires them (`tls-auth-clients yes`).
    public var clientCertificate: TLSCertificate?
    /// The name to ask for (SNI) and to verify; `nil`: the URL's host.
    public var serverName: String?

    public init(caFile: String? = nil, verifyPeer: Bool = true, clientCertificate: TLSCertificate? = nil, serverName: String? = nil) {
        self.caFile = caFile
        self.verifyPeer = verifyPeer
        self.clientCertificate = clientCertificate
        self.serverName = serverName
    }

    func context() throws(TLSError) -> TLSContext {
        try TLSContext(clientCAFile: caFile, verifyPeer: verifyPeer, certificate: clientCertificate)
    }
}
