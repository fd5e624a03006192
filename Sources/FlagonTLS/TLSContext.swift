import CSSL

/// A TLS configuration loaded into OpenSSL: certificates, keys, versions, verification.
/// Immutable once made; every connection keeps the context it started with, so a reload
/// makes a new context and open connections go on with the old one.
///
/// ```swift
/// let context = try TLSContext(server: TLSCertificate(certificateFile: "cert.pem", privateKeyFile: "key.pem"))
/// let engine = TLSEngine(context: context)
/// ```
// SSL_CTX is reference counted and safe to share between threads once configured; nothing
// here changes after init.
public final class TLSContext: @unchecked Sendable {
    let pointer: OpaquePointer
    /// `true` for a client context.
    public let isClient: Bool
    /// The contexts chosen by server name (SNI), kept alive as long as this one.
    private let byServerName: [(pattern: String, context: TLSContext)]

    /// A server context: `certificate` by default, and the others for the names they list
    /// (exact names, or `*.example.com` for one label), chosen by the client's SNI. TLS 1.2
    /// and 1.3 only, no renegotiation or compression, ALPN `http/1.1`.
    public convenience init(server certificate: TLSCertificate, byServerName: [TLSCertificate] = []) throws(TLSError) {
        var others: [(String, TLSContext)] = []
        for extra in byServerName {
            let context = try TLSContext(serverCertificate: extra, byServerName: [])
            for name in extra.serverNames { others.append((name.lowercased(), context)) }
        }
        try self.init(serverCertificate: certificate, byServerName: others)
    }

    private init(serverCertificate certificate: TLSCertificate, byServerName: [(pattern: String, context: TLSContext)]) throws(TLSError) {
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw .openSSL("SSL_CTX_new") }
        pointer = context
        isClient = false
        self.byServerName = byServerName
        try configureCommon()
        try certificate.load(into: context)
        SSL_CTX_set_alpn_select_cb(context, selectHTTP1, nil)
        if !byServerName.isEmpty {
            _ = flagon_ssl_ctx_set_servername_callback(context, chooseByServerName, Unmanaged.passUnretained(self).toOpaque())
        }
    }

    /// A client context: the peer's certificate verified against `caFile` (PEM) or else the
    /// system's CAs unless `verifyPeer` is `false` (tests only); `certificate` when the
    /// server asks for a client certificate; `applicationProtocols` offered by ALPN.
    public init(
        clientCAFile caFile: String? = nil, verifyPeer: Bool = true, certificate: TLSCertificate? = nil,
        applicationProtocols: [String] = []
    ) throws(TLSError) {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw .openSSL("SSL_CTX_new") }
        pointer = context
        isClient = true
        byServerName = []
        try configureCommon()
        if verifyPeer {
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
            if let caFile {
                guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else { throw .openSSL("CA file \(caFile)") }
            } else if SSL_CTX_set_default_verify_paths(context) != 1 {
                throw .openSSL("system CA certificates")
            }
        } else {
            SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        }
        try certificate?.load(into: context)
        if !applicationProtocols.isEmpty {
            var wire: [UInt8] = []
            for name in applicationProtocols where !name.isEmpty && name.utf8.count < 256 {
                wire.append(UInt8(name.utf8.count))
                wire.append(contentsOf: name.utf8)
            }
            guard SSL_CTX_set_alpn_protos(context, wire, UInt32(wire.count)) == 0 else { throw .openSSL("ALPN protocols") }
        }
    }

    deinit { SSL_CTX_free(pointer) }

    private func configureCommon() throws(TLSError) {
        guard flagon_ssl_ctx_set_versions(pointer, TLS1_2_VERSION, TLS1_3_VERSION) == 1 else { throw .openSSL("TLS versions") }
        flagon_ssl_ctx_harden(pointer)
    }

    /// The context for `name` (an SNI host name), when one was configured for it.
    func context(forServerName name: String) -> TLSContext? {
        let name = name.lowercased()
        if let exact = byServerName.first(where: { $0.pattern == name }) { return exact.context }
        guard let dot = name.firstIndex(of: ".") else { return nil }
        let wildcard = "*" + name[dot...]
        return byServerName.first { $0.pattern == wildcard }?.context
    }
}

/// ALPN: `http/1.1` when the client offers it; otherwise the handshake goes on without ALPN
/// (clients that offer nothing are the common case).
private func selectHTTP1(
    _ ssl: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?, _ outLength: UnsafeMutablePointer<UInt8>?,
    _ offered: UnsafePointer<UInt8>?, _ offeredLength: UInt32, _ argument: UnsafeMutableRawPointer?
) -> Int32 {
    guard let offered, let out, let outLength else { return SSL_TLSEXT_ERR_NOACK }
    var index = 0
    let total = Int(offeredLength)
    while index < total {
        let length = Int(offered[index])
        let start = index + 1
        guard start + length <= total else { break }
        if length == 8 && UnsafeRawBufferPointer(start: offered + start, count: 8).elementsEqual("http/1.1".utf8) {
            out.pointee = offered + start
            outLength.pointee = 8
            return SSL_TLSEXT_ERR_OK
        }
        index = start + length
    }
    return SSL_TLSEXT_ERR_NOACK
}

/// SNI: switches the connection to the context configured for the name it asks for.
private func chooseByServerName(_ ssl: OpaquePointer?, _ alert: UnsafeMutablePointer<Int32>?, _ argument: UnsafeMutableRawPointer?) -> Int32 {
    guard let ssl, let argument, let raw = flagon_ssl_servername(ssl) else { return SSL_TLSEXT_ERR_OK }
    let context = Unmanaged<TLSContext>.fromOpaque(argument).takeUnretainedValue()
    if let chosen = context.context(forServerName: String(cString: raw)) {
        _ = SSL_set_SSL_CTX(ssl, chosen.pointer)
    }
    return SSL_TLSEXT_ERR_OK
}
