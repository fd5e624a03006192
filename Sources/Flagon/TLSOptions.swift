import FlagonTLS
#if canImport(Glibc)
import Glibc
#endif

/// HTTPS and WSS on the server's port: the certificate and key (PEM files), more
/// certificates chosen by the name a client asks for (SNI), and how long a handshake may take.
///
/// ```swift
/// var options = ServerOptions()
/// options.tls = TLSOptions(certificateFile: "/etc/flagon/cert.pem", privateKeyFile: "/etc/flagon/key.pem")
/// ```
public struct TLSOptions: Sendable, Equatable {
    /// The default certificate (with its chain) and key.
    public var certificate: TLSCertificate
    /// Certificates for other names, chosen by SNI (each lists its ``TLSCertificate/serverNames``).
    public var byServerName: [TLSCertificate] = []
    /// Milliseconds a client has to complete the handshake before its connection is closed
    /// (default 10 s).
    public var handshakeTimeout: UInt64 = 10_000

    public init(certificateFile: String, privateKeyFile: String, byServerName: [TLSCertificate] = []) {
        certificate = TLSCertificate(certificateFile: certificateFile, privateKeyFile: privateKeyFile)
        self.byServerName = byServerName
    }

    /// `TLS_CERT` and `TLS_KEY` from the environment (PEM files), when both are set: what
    /// ``App/run(host:port:workers:tls:)`` serves by default.
    public static var fromEnvironment: TLSOptions? {
        guard let certificate = getenv("TLS_CERT").map({ String(cString: $0) }), !certificate.isEmpty,
              let key = getenv("TLS_KEY").map({ String(cString: $0) }), !key.isEmpty
        else { return nil }
        return TLSOptions(certificateFile: certificate, privateKeyFile: key)
    }

    /// Loads the files into a new context (at start and at every reload).
    func makeContext() throws(TLSError) -> TLSContext {
        try TLSContext(server: certificate, byServerName: byServerName)
    }
}
