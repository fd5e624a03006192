/// The permessage-deflate extension's negotiation (RFC 7692, section 7.1), server side:
/// reads a client's offers from `Sec-WebSocket-Extensions` and answers the first one it can
/// accept. Flagon always answers with `server_no_context_takeover` and
/// `client_no_context_takeover`: every message is compressed on its own, so a broadcast is
/// compressed once for all its recipients and no connection keeps a zlib window between
/// messages (10,000 idle connections hold nothing).
///
/// ```swift
/// PerMessageDeflateNegotiation.response(to: ["permessage-deflate; client_max_window_bits"])?.header
/// // "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
/// ```
public enum PerMessageDeflateNegotiation {
    /// What was agreed.
    public struct Agreement: Sendable, Equatable {
        /// The `Sec-WebSocket-Extensions` value of the response.
        public var header: String
        /// The window the server compresses with (the client's `server_max_window_bits`, or 15).
        public var serverWindowBits: Int
    }

    /// The agreement for the first acceptable offer, or `nil` (no compression).
    /// Offers with unknown or repeated parameters, or window sizes outside 9...15 (zlib
    /// cannot make 8-bit windows), are declined.
    public static func response(to headerValues: [String]) -> Agreement? {
        for offer in headerValues.flatMap({ $0.split(separator: ",") }) {
            var parts = offer.split(separator: ";").map { $0.trimmingSpacesAndTabs() }
            guard parts.first?.lowercased() == "permessage-deflate" else { continue }
            parts.removeFirst()
            var seen: Set<String> = []
            var serverWindow: Int?
            var acceptable = true
            for parameter in parts {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingSpacesAndTabs() }
                let name = pair[0].lowercased()
                let value = pair.count == 2 ? pair[1].trimmingCharacters("\"") : nil
                guard seen.insert(name).inserted else { acceptable = false; break }
                switch name {
                case "server_no_context_takeover", "client_no_context_takeover":
                    if value != nil { acceptable = false }
                case "server_max_window_bits":
                    guard let bits = value.flatMap({ Int($0) }), (9...15).contains(bits) else { acceptable = false; break }
                    serverWindow = bits
                case "client_max_window_bits":
                    if let value { guard let bits = Int(value), (8...15).contains(bits) else { acceptable = false; break } }
                default:
                    acceptable = false
                }
                if !acceptable { break }
            }
            guard acceptable else { continue }
            var answer = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
            if let serverWindow { answer += "; server_max_window_bits=\(serverWindow)" }
            return Agreement(header: answer, serverWindowBits: serverWindow ?? 15)
        }
        return nil
    }
}

extension Substring {
    fileprivate func trimmingSpacesAndTabs() -> String {
        var text = self[...]
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return String(text)
    }
}

extension String {
    fileprivate func trimmingSpacesAndTabs() -> String { self[...].trimmingSpacesAndTabs() }

    fileprivate func trimmingCharacters(_ character: Character) -> String {
        var text = self[...]
        while text.first == character { text.removeFirst() }
        while text.last == character { text.removeLast() }
        return String(text)
    }
}
