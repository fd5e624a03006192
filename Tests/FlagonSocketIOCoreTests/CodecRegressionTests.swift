import FlagonJSON
import Testing
import FlagonSocketIOCore

/// Inputs the fuzzers found: each decodes, or is refused, the same way after a re-encode.
@Suite struct CodecRegressionTests {
    private func text(_ packet: SocketIOPacket) -> String {
        String(decoding: SocketIOEncoder.encode(packet).text, as: UTF8.self)
    }

    @Test func binaryPacketsWithoutAttachmentsRoundTrip() throws {
        for wire in [#"50-["e"]"#, #"60-1[]"#, #"50-/chat,["e",1]"#] {
            var decoder = SocketIODecoder()
            let packet = try #require(try decoder.receive(text: Array(wire.utf8)))
            #expect(text(packet) == wire)
            var again = SocketIODecoder()
            #expect(try again.receive(text: Array(text(packet).utf8)) == packet)
        }
    }

    @Test func attachmentsTheDataNeverUsesAreRefused() throws {
        var decoder = SocketIODecoder()
        #expect(try decoder.receive(text: Array(#"51-["e"]"#.utf8)) == nil)
        #expect(throws: SocketIOProtocolError.invalidPlaceholder) { try decoder.receive(binary: [1]) }
        var twice = SocketIODecoder()
        _ = try twice.receive(text: Array(#"52-["e",{"_placeholder":true,"num":1}]"#.utf8))
        _ = try twice.receive(binary: [1])
        #expect(throws: SocketIOProtocolError.invalidPlaceholder) { try twice.receive(binary: [2]) }
    }

    @Test func namespacesMustBeUTF8() {
        let bytes: [UInt8] = Array("0/".utf8) + [0xFF, 0xFE] + Array(",".utf8)
        #expect(throws: SocketIOProtocolError.invalidNamespace) { try SocketIODecoder.parse(bytes) }
        let long: [UInt8] = Array("0/".utf8) + [UInt8](repeating: 0xC3, count: 200) + Array(",".utf8)
        #expect(throws: SocketIOProtocolError.invalidNamespace) { try SocketIODecoder.parse(long) }
    }

    @Test func aSlashAndACommaIsTheMainNamespace() throws {
        let packet = try SocketIODecoder.parse(Array("0/,".utf8)).0
        #expect(packet.namespace == "/")
        #expect(text(packet) == "0")
    }

    /// Found by the Socket.IO fuzzer: a number too precise for a Double is written back as
    /// JavaScript writes it; the re-encoded packet decodes to the same value.
    @Test func numbersTooPreciseForADoubleKeepTheirValue() throws {
        let packet = try SocketIODecoder.parse(Array(#"2["e",6666666666666666662.6600]"#.utf8)).0
        let again = try SocketIODecoder.parse(SocketIOEncoder.encode(packet).text).0
        #expect(text(packet) == #"2["e",6666666666666667000]"#)
        #expect(again.arguments.first?.doubleValue == packet.arguments.first?.doubleValue)
        #expect(text(again) == text(packet))
    }

    /// Found by the Socket.IO fuzzer: one attachment referenced twice decoded into two
    /// binary values, which re-encode as two attachments (past the limit, and an
    /// amplification: one upload sent on many times).
    @Test func anAttachmentReferencedTwiceIsRefused() throws {
        var decoder = SocketIODecoder()
        _ = try decoder.receive(text: Array(#"61-7[{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]"#.utf8))
        #expect(throws: SocketIOProtocolError.invalidPlaceholder) { try decoder.receive(binary: [1, 2]) }
    }
}
