import FlagonSocketIOCore
import Testing

/// The length a packet head is announced with is the length written.
@Suite struct PacketHeadTests {
    @Test func headLengthIsWhatWriteHeadWrites() {
        for namespace in ["/", "/chat", "/ünï"] {
            for id in [nil, 0, 7, 9, 10, 99, 100, 12_345, 9_007_199_254_740_991, Int.max, -1, -10, Int.min] as [Int?] {
                var out: [UInt8] = []
                SocketIOEncoder.writeHead(type: .ack, namespace: namespace, id: id, into: &out)
                #expect(SocketIOEncoder.headLength(namespace: namespace, id: id) == out.count, "\(namespace) \(String(describing: id))")
            }
        }
    }
}
