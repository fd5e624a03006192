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
        }
        checkWrittenBack(whole.requests)
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
