import FlagonRedisAdapter

/// Reads Redis replies from bytes cut into pieces: the replies (or the error) must be the
/// same as when the bytes arrive at once, and nothing may crash or grow without bound.
enum RESPFuzz {
    static func run(_ input: [UInt8]) {
        let chunks = pieces(input)
        let whole = replies([Array(chunks.joined())])
        let split = replies(chunks)
        check(whole == split, "replies depend on how the bytes were cut")
    }

    private static func replies(_ chunks: [[UInt8]]) -> [String] {
        var parser = RESPParser()
        parser.maxBulkBytes = 1 << 16
        parser.maxArrayCount = 1 << 12
        var out: [String] = []
        for chunk in chunks {
            parser.append(chunk)
            do {
                while let reply = try parser.next() { out.append("\(reply)") }
            } catch {
                out.append("error \(error)")
                return out
            }
        }
        return out
    }
}
