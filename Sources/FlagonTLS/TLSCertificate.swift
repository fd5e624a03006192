import CSSL

/// A certificate chain and its private key, as PEM files, and the server names it is for
/// (used to choose among several certificates by SNI).
public struct TLSCertificate: Sendable, Equatable {
    /// The PEM file holding the certificate, then any intermediates.
    public var certificateFile: String
    /// The PEM file holding the private key.
    public var privateKeyFile: String
    /// The names (`example.com`, `*.example.com`) this certificate serves when it is not
    /// the default one.
    public var serverNames: [String]

    public init(certificateFile: String, privateKeyFile: String, serverNames: [String] = []) {
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
        self.serverNames = serverNames
    }

    func load(into context: OpaquePointer) throws(TLSError) {
        guard SSL_CTX_use_certificate_chain_file(context, certificateFile) == 1 else {
            throw .openSSL("certificate \(certificateFile)")
        }
        guard SSL_CTX_use_PrivateKey_file(context, privateKeyFile, SSL_FILETYPE_PEM) == 1 else {
            throw .openSSL("private key \(privateKeyFile)")
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw .openSSL("private key \(privateKeyFile) does not match certificate \(certificateFile)")
        }
    }
}
