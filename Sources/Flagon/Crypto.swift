import CCrypto

/// The few primitives Flagon needs, from OpenSSL's libcrypto.
public enum Crypto {
    /// HMAC-SHA256 of `data` under `key`.
    ///
    /// ```swift
    /// let tag = Crypto.hmacSHA256(key: Array("k".utf8), data: Array("message".utf8))
    /// ```
    public static func hmacSHA256(key: [UInt8], data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 32
        key.withUnsafeBytes { k in
            data.withUnsafeBytes { d in
                _ = HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), d.baseAddress?.assumingMemoryBound(to: UInt8.self),
                         d.count, &out, &length)
            }
        }
        return out
    }

    /// SHA-1 of `data` (WebSocket's handshake needs it; never use it for security).
    public static func sha1(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 20)
        data.withUnsafeBytes { d in
            _ = SHA1(d.baseAddress?.assumingMemoryBound(to: UInt8.self), d.count, &out)
        }
        return out
    }

    /// `count` bytes from the cryptographic random source.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let status = RAND_bytes(&out, Int32(count))
        precondition(status == 1, "the random source failed")
        return out
    }

    /// Compares in time independent of where the bytes differ.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { x in b.withUnsafeBytes { y in CRYPTO_memcmp(x.baseAddress, y.baseAddress, a.count) == 0 } }
    }
}
