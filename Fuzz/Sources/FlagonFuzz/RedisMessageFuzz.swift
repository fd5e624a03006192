import FlagonRedisAdapter

/// Reads what arrives on the adapter's channels as a broadcast and as a request or
/// response: anything is accepted or refused with an error, never a crash, and what is
/// accepted writes back to bytes that read and write again to the same bytes.
enum RedisMessageFuzz {
    static func run(_ input: [UInt8]) {
        if let broadcast = try? RedisBroadcast.decode(input) {
            let bytes = broadcast.encoded()
            let again = try? RedisBroadcast.decode(bytes)
            check(again?.encoded() == bytes, "a broadcast does not read back as itself")
        }
        if let message = try? RedisAdapterMessage.decode(input) {
            let packed = message.encodedMessagePack()
            check((try? RedisAdapterMessage.decode(packed))?.encodedMessagePack() == packed, "a request does not read back from MessagePack")
            if input.first == UInt8(ascii: "{") {
                let text = message.encodedJSON()
                check((try? RedisAdapterMessage.decode(text))?.encodedJSON() == text, "a request does not read back from JSON")
            }
        }
    }
}
