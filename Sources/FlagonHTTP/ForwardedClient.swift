/// The client behind trusted proxies, read from `Forwarded` (RFC 7239) or else
/// `X-Forwarded-For`, and the scheme it used, from `Forwarded`'s `proto` or else
/// `X-Forwarded-Proto` (sans-IO).
///
/// Each proxy appends the address it received from, so the list is read from the right: the
/// first address that is not a trusted proxy is the client. Anything to its left was sent by
/// the client itself and proves nothing. An entry that is not an IP address (`unknown`, an
/// obfuscated name, garbage) ends the search: the client is then the hop before it.
///
/// ```swift
/// let client = ForwardedClient(headers: headers) { trusted.contains($0) }
/// client?.address   // "203.0.113.7:0"
/// ```
public struct ForwardedClient: Sendable, Equatable {
    /// `ip:port` (IPv6 in brackets), port 0 when the proxy did not say: the form of a peer address.
    public let address: String
    /// `https` or `http` as the proxies report the client's scheme, when they do.
    public let scheme: String?

    /// At most this many hops are read (a longer chain is cut from the left).
    public static let maxHops = 32

    /// `nil` when the headers name no client (no header, or only trusted hops).
    public init?(headers: HTTPHeaders, isTrusted: ([UInt8]) -> Bool) {
        var hops: [(address: [UInt8]?, port: Int, proto: String?)] = []
        let forwarded = headers.values(for: "Forwarded")
        if !forwarded.isEmpty {
            for element in forwarded.joined(separator: ",").split(separator: ",").suffix(Self.maxHops) {
                var hop: (address: [UInt8]?, port: Int, proto: String?) = (nil, 0, nil)
                for pair in element.split(separator: ";") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2 else { continue }
                    let name = parts[0].trimmingSpaces.lowercased()
                    var value = parts[1].trimmingSpaces
                    if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = value.dropFirst().dropLast() }
                    if name == "for" {
                        (hop.address, hop.port) = Self.node(value)
                    } else if name == "proto" {
                        hop.proto = value.lowercased()
                    }
                }
                hops.append(hop)
            }
        } else {
            let list = headers.values(for: "X-Forwarded-For").joined(separator: ",").split(separator: ",").suffix(Self.maxHops)
            let protos = headers.values(for: "X-Forwarded-Proto").joined(separator: ",").split(separator: ",")
            let proto = protos.last.map { $0.trimmingSpaces.lowercased() }
            for entry in list { hops.append((Self.node(entry.trimmingSpaces).address, Self.node(entry.trimmingSpaces).port, proto)) }
        }
        var chosen: (address: [UInt8], port: Int, proto: String?)?
        for hop in hops.reversed() {
            guard let address = hop.address else { break }
            chosen = (address, hop.port, hop.proto)
            if !isTrusted(address) { break }
        }
        guard let chosen else { return nil }
        let text = IPAddressBytes.format(chosen.address)
        address = (chosen.address.count == 16 ? "[\(text)]" : text) + ":\(chosen.port)"
        scheme = chosen.proto.flatMap { $0 == "https" || $0 == "http" ? $0 : nil }
    }

    /// An address with an optional port: `1.2.3.4`, `1.2.3.4:80`, `[::1]`, `[::1]:80`, `::1`.
    static func node(_ text: Substring) -> (address: [UInt8]?, port: Int) {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return (nil, 0) }
            let address = IPAddressBytes.parse(String(text[text.index(after: text.startIndex)..<close]))
            let rest = text[text.index(after: close)...]
            let port = rest.hasPrefix(":") ? Int(rest.dropFirst()).flatMap { (0...65535).contains($0) ? $0 : nil } ?? 0 : 0
            return (address?.count == 16 ? address : nil, port)
        }
        if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            let port = Int(text[text.index(after: colon)...]).flatMap { (0...65535).contains($0) ? $0 : nil } ?? 0
            return (IPAddressBytes.parse(String(text[..<colon])).flatMap { $0.count == 4 ? $0 : nil }, port)
        }
        return (IPAddressBytes.parse(String(text)), 0)
    }
}
