import CLibUV

/// An IPv4 or IPv6 address and port, parsed from a numeric host.
///
/// ```swift
/// let address = try SocketAddress(host: "::1", port: 8080)
/// ```
public struct SocketAddress: Sendable, CustomStringConvertible {
    var storage = sockaddr_storage()

    /// Parses a numeric IPv4 or IPv6 host; `localhost` means 127.0.0.1.
    public init(host: String, port: Int) throws(UVError) {
        let name = host == "localhost" ? "127.0.0.1" : host
        var status: Int32 = 0
        if name.contains(":") {
            status = withUnsafeMutableBytes(of: &storage) { raw in
                uv_ip6_addr(name, Int32(port), raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self))
            }
        } else {
            status = withUnsafeMutableBytes(of: &storage) { raw in
                uv_ip4_addr(name, Int32(port), raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self))
            }
        }
        try UVError.check(status, "parse address \(host)")
    }

    init(storage: sockaddr_storage) {
        self.storage = storage
    }

    /// `true` for an IPv6 address.
    public var isIPv6: Bool { Int32(storage.ss_family) == AF_INET6 }

    /// The numeric host.
    public var host: String {
        var copy = storage
        var buffer = [CChar](repeating: 0, count: 64)
        withUnsafeBytes(of: &copy) { raw in
            if isIPv6 {
                _ = uv_ip6_name(raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self), &buffer, 64)
            } else {
                _ = uv_ip4_name(raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self), &buffer, 64)
            }
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The port number.
    public var port: Int {
        var copy = storage
        return withUnsafeBytes(of: &copy) { raw in
            if isIPv6 {
                return Int(UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port))
            }
            return Int(UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port))
        }
    }

    public var description: String {
        if isIPv6 { return "[\(host)]:\(port)" }
        // IPv4, written digit by digit (every accepted connection's address is made so).
        var copy = storage
        let address = withUnsafeBytes(of: &copy) { raw in raw.load(as: sockaddr_in.self) }
        let host = UInt32(bigEndian: address.sin_addr.s_addr)
        let port = UInt16(bigEndian: address.sin_port)
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
            var count = 0
            func decimal(_ value: Int) {
                if value >= 10000 { buffer[count] = UInt8(48 + value / 10000); count += 1 }
                if value >= 1000 { buffer[count] = UInt8(48 + value / 1000 % 10); count += 1 }
                if value >= 100 { buffer[count] = UInt8(48 + value / 100 % 10); count += 1 }
                if value >= 10 { buffer[count] = UInt8(48 + value / 10 % 10); count += 1 }
                buffer[count] = UInt8(48 + value % 10)
                count += 1
            }
            func separator(_ byte: UInt8) {
                buffer[count] = byte
                count += 1
            }
            decimal(Int(host >> 24))
            separator(UInt8(ascii: "."))
            decimal(Int(host >> 16 & 0xFF))
            separator(UInt8(ascii: "."))
            decimal(Int(host >> 8 & 0xFF))
            separator(UInt8(ascii: "."))
            decimal(Int(host & 0xFF))
            separator(UInt8(ascii: ":"))
            decimal(Int(port))
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<count]), as: UTF8.self)
        }
    }

    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>) -> R) -> R {
        var copy = storage
        return withUnsafeBytes(of: &copy) { raw in body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self)) }
    }
}
