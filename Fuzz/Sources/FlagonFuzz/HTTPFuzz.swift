import FlagonHTTP

/// Feeds a request stream whole and in pieces: the requests and the error must not depend
/// on how reads split the bytes, and every request must respect the limits.
enum HTTPFuzz {
    static var limits: HTTPLimits {
        var limits = HTTPLimits()
        limits.maxRequestLineBytes = 64
        limits.maxHeaderBytes = 128
        limits.maxHeaderCount = 8
        limits.maxBodyBytes = 256
        return limits
    }

    struct Outcome: Equatable {
        var requests: [HTTPRequestMessage] = []
        var status: Int?
    }

    static func parse(_ chunks: [[UInt8]]) -> Outcome {
        var parser = HTTPRequestParser(limits: limits)
        var outcome = Outcome()
        do {
            for chunk in chunks {
                parser.feed(chunk)
                while let event = try parser.next() {
                    if case .request(let message) = event { outcome.requests.append(message) }
                }
            }
        } catch {
            outcome.status = error.status
            check([400, 413, 414, 417, 431, 501, 505].contains(error.status), "unexpected status \(error.status)")
            check(!error.message.isEmpty, "an error without words")
        }
        return outcome
    }

    static func run(_ input: [UInt8]) {
        let split = pieces(input)
        let whole = parse([split.flatMap { $0 }])
        let pieced = parse(split)
        check(whole == pieced, "split-dependent outcome: \(whole.status as Any) whole, \(pieced.status as Any) split")
        for message in whole.requests {
            check(message.body.count <= limits.maxBodyBytes, "body over the limit")
            check(message.head.headers.count <= limits.maxHeaderCount, "too many headers")
            check(message.head.target.utf8.count <= limits.maxRequestLineBytes, "target over the limit")
            check(message.head.headers.values(for: "host").count <= 1, "two Host headers")
            checkForwarded(message.head.headers, target: message.head.target)
        }
        checkWrittenBack(whole.requests)
    }

    /// The proxy headers of a parsed request (with every other address, by its first byte's
    /// parity, a trusted proxy) name a client whose address reads back to itself, and the
    /// target read as a CIDR network reads back to itself and contains its own address.
    static func checkForwarded(_ headers: HTTPHeaders, target: String) {
        if let client = ForwardedClient(headers: headers, isTrusted: { ($0.first ?? 1) % 2 == 0 }) {
            guard let colon = client.address.lastIndex(of: ":"),
                  let bytes = IPAddressBytes.parse(String(client.address[..<colon])) else {
                return check(false, "a client address that does not read back: \(client.address)")
            }
            check(Int(client.address[client.address.index(after: colon)...]).map { (0...65535).contains($0) } == true,
                  "a client port out of range: \(client.address)")
            check(IPAddressBytes.parse(IPAddressBytes.format(bytes)) == bytes, "an address that formats differently: \(bytes)")
            check(client.scheme == nil || client.scheme == "http" || client.scheme == "https", "a scheme that is neither")
        }
        let text = target.hasPrefix("/") ? String(target.dropFirst()) : target
        if let network = IPNetwork(text) {
            check(network.contains(network.address), "a network without its own address: \(network)")
            check(IPNetwork(network.description) == network, "a network that reads back differently: \(network)")
        }
    }

    /// Requests written back (as a worker hands them to another) parse to the same requests.
    static func checkWrittenBack(_ requests: [HTTPRequestMessage]) {
        guard !requests.isEmpty else { return }
        var parser = HTTPRequestParser()
        parser.feed(requests.flatMap(HTTPRequestSerializer.serialize))
        var again: [HTTPRequestMessage] = []
        do {
            while let event = try parser.next() { if case .request(let message) = event { again.append(message) } }
        } catch {
            check(false, "requests written back do not parse: \(error.status) \(error.message)")
        }
        check(again.count == requests.count, "\(requests.count) requests written back read as \(again.count)")
        for (original, copy) in zip(requests, again) {
            func framing(_ name: String) -> Bool {
                ["content-length", "transfer-encoding", "expect"].contains { HTTPHeaders.equalNames(name, $0) }
            }
            let headers = original.head.headers.filter { !framing($0.name) }.map { "\($0.name.lowercased()): \($0.value)" }
            let copied = copy.head.headers.filter { !framing($0.name) }.map { "\($0.name.lowercased()): \($0.value)" }
            check(copy.head.method == original.head.method && copy.head.target == original.head.target
                  && copy.head.minorVersion == original.head.minorVersion && copy.head.keepAlive == original.head.keepAlive
                  && copy.body == original.body && copied == headers,
                  "a request written back reads differently: \(original.head.method) \(original.head.target)")
        }
    }
}
