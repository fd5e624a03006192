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

    @Test func aHeadWrittenInPlaceIsTheHeadAppended() {
        var ids: [Int?] = [nil, Int.max, Int.min, -1]
        var power = 1
        for _ in 0..<18 {
            ids += [power - 1, power, power + 1, -power]
            power *= 10
        }
        for namespace in ["/", "/chat", "/ünï"] {
            for id in ids {
                var appended: [UInt8] = []
                SocketIOEncoder.writeHead(type: .ack, namespace: namespace, id: id, into: &appended)
                var inPlace = [UInt8](repeating: 0xEE, count: appended.count + 4)
                let size = inPlace.withUnsafeMutableBytes { SocketIOEncoder.writeHead(type: .ack, namespace: namespace, id: id, into: $0) }
                #expect(size == appended.count && Array(inPlace[..<size]) == appended, "\(namespace) \(String(describing: id))")
                #expect(inPlace[size...].allSatisfy { $0 == 0xEE })   // nothing written past the head
            }
        }
    }
}
