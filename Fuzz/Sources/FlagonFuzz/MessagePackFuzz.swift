import FlagonMessagePack

/// Reads MessagePack; what reads is written, must read back, and must write the same bytes
/// again (bytes are compared, not values: a NaN is not equal to itself).
enum MessagePackFuzz {
    static func run(_ input: [UInt8]) {
        guard let value = try? MessagePackReader.decode(input, maxDepth: 32) else { return }
        let written = MessagePackWriter.encode(value)
        guard let again = try? MessagePackReader.decode(written, maxDepth: 32) else {
            return check(false, "written MessagePack does not read back: \(value)")
        }
        check(MessagePackWriter.encode(again) == written, "writing is not stable for \(value)")
    }
}
