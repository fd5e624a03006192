import Flagon
import FlagonHTTP
import FlagonLoop
import FlagonTesting
import Testing

@LoopActor
private func wsApp(maxBuffered: Int = 16 * 1024 * 1024) -> App {
    let app = App()
    app.websocket("/echo", maxMessageBytes: 1000) { ws in
        ws.onMessage = { message in
            if case .text(let text) = message { ws.send(text: text) }
        }
    }
    app.websocket("/flood") { ws in
        ws.maxBufferedBytes = maxBuffered
        ws.onMessage = { _ in
            let chunk = [UInt8](repeating: 65, count: 64 * 1024)
            for _ in 0..<2000 where ws.isOpen { ws.send(binary: chunk) }
        }
    }
    return app
}

private let handshake = "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"

/// A masked client frame.
private func clientFrame(opcode: UInt8, _ payload: [UInt8], fin: Bool = true) -> [UInt8] {
    WebSocketFrame.maskedFrame(opcode: opcode, payload: payload, fin: fin, mask: [1, 2, 3, 4])
}

@Suite struct WebSocketRouteTests {
    @LoopActor private func start(_ app: App) throws -> (Server, Int) {
        let server = try Server(app: app, options: liveOptions())
        return (server, try server.start())
    }

    @Test @LoopActor func handshakeAcceptsAndEchoes() async throws {
        let (server, port) = try start(wsApp())
        let connection = try await RawConnection.open(port: port)
        connection.send(handshake)
        let response = try await connection.readResponse()
        #expect(response.status == 101)
        #expect(response.headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")   // RFC 6455's example
        connection.send(clientFrame(opcode: 1, Array("Hello".utf8)))
        #expect(await connection.wait { connection.buffer == [0x81, 0x05] + Array("Hello".utf8) })
        await server.shutdown()
    }

    @Test(arguments: [
        ("GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", 426),
        ("GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: short\r\n\r\n", 400),
        ("GET /echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", 400),
        ("GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", 400),
    ])
    @LoopActor func badHandshakesAreRefused(request: String, status: Int) async throws {
        let (server, port) = try start(wsApp())
        let connection = try await RawConnection.open(port: port)
        connection.send(request)
        let response = try await connection.readResponse()
        #expect(response.status == status)
        if status == 426 { #expect(response.headers["sec-websocket-version"] == "13") }
        await server.shutdown()
    }

    @Test(arguments: [
        (clientFrame(opcode: 1, [0xC3, 0x28]), UInt16(1007)),                     // invalid UTF-8
        (Array(clientFrame(opcode: 1, Array("x".utf8))).enumerated().map { $0.offset == 1 ? $0.element & 0x7F : $0.element }, UInt16(1002)),   // unmasked
        ([0xC1] + Array(clientFrame(opcode: 1, Array("x".utf8)).dropFirst()), UInt16(1002)),   // RSV1 set
        (clientFrame(opcode: 3, []), UInt16(1002)),                              // reserved opcode
        (clientFrame(opcode: 9, [UInt8](repeating: 0, count: 126)), UInt16(1002)),   // control frame too long
        (clientFrame(opcode: 1, [UInt8](repeating: 65, count: 1001)), UInt16(1009)),   // message over the limit
    ])
    @LoopActor func badFramesCloseWithTheirCode(frame: [UInt8], code: UInt16) async throws {
        let (server, port) = try start(wsApp())
        let connection = try await RawConnection.open(port: port)
        connection.send(handshake)
        _ = try await connection.readResponse()
        connection.send(frame)
        #expect(await connection.wait { connection.buffer.count >= 4 })
        // A close frame with the code, then a reason in words.
        #expect(connection.buffer.first == 0x88)
        #expect(Array(connection.buffer.dropFirst(2).prefix(2)) == [UInt8(code >> 8), UInt8(code & 0xFF)])
        #expect(connection.buffer.count >= 2 && Int(connection.buffer[1]) > 2)
        #expect(await connection.waitForClose())
        await server.shutdown()
    }

    @Test @LoopActor func aSlowReaderIsDroppedInsteadOfBufferingWithoutBound() async throws {
        let (server, port) = try start(wsApp(maxBuffered: 256 * 1024))
        let connection = try await RawConnection.open(port: port)
        connection.send(handshake.replacingOccurrences(of: "/echo", with: "/flood"))
        _ = try await connection.readResponse()
        connection.pauseReading()
        connection.send(clientFrame(opcode: 1, Array("go".utf8)))
        await LoopTimer.sleep(milliseconds: 200)
        connection.resumeReading()
        #expect(await connection.waitForClose(timeout: 5000))
        #expect(connection.buffer.count < 2000 * 64 * 1024)
        await server.shutdown()
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: Substring(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
