import Flagon
import FlagonHTTP
import FlagonJSON
import FlagonLoop
import FlagonTesting
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// How many `/slow` requests have started, by their `tag` query parameter (tests wait for
/// their own instead of guessing a delay: the tests of this suite run at the same time).
@LoopActor private var slowRequestsStarted: [String: Int] = [:]

@LoopActor
private func serverApp() -> App {
    let app = App()
    app.get("/") { _ in Response.text("root") }
    app.get("/peer") { request in Response.text("\(request.remoteAddress ?? "-") \(request.isSecure)") }
    app.get("/n/<int:n>") { request in Response.text("n=\(request.parameters.int("n")!)") }
    app.post("/echo") { request in Response(body: request.body) }
    app.get("/slow") { request in
        slowRequestsStarted[request.query["tag"] ?? "", default: 0] += 1
        await LoopTimer.sleep(milliseconds: 1500)
        return Response.text("slow done")
    }
    app.get("/on-loop") { _ in
        var seen = [EventLoop.shared.inLoop]
        await LoopTimer.sleep(milliseconds: 5)
        seen.append(EventLoop.shared.inLoop)
        try await Task.sleep(for: .milliseconds(5))
        seen.append(EventLoop.shared.inLoop)
        return JSONValue.array(seen.map { .bool($0) })
    }
    app.get("/upgrade") { request in
        guard request.headers["upgrade"] == "echo" else { throw HTTPError(426) }
        return Response.switchingProtocols(headers: ["Upgrade": "echo", "Connection": "Upgrade"]) { connection in
            let stream = connection.stream
            if !connection.initialBytes.isEmpty { stream.write(connection.initialBytes) }
            stream.onRead = { bytes in stream.write(bytes) }
            stream.startReading()
        }
    }
    return app
}

@LoopActor
private func startServer(_ configure: (inout ServerOptions) -> Void = { _ in }) throws -> (Server, Int) {
    let server = try Server(app: serverApp(), options: liveOptions(configure))
    let port = try server.start()
    return (server, port)
}

@Suite struct ServerTests {
    @Test @LoopActor func asyncHandlersRunOnTheLoopThreadAcrossAwaits() async throws {
        try await withTestClient(serverApp(), mode: .live) { (client: any HTTPTestClient) async throws in
            #expect(try await client.get("/on-loop").json() == [true, true, true])
        }
    }

    @Test @LoopActor func keepAliveServesManyRequestsOnOneConnection() async throws {
        let (server, port) = try startServer()
        let connection = try await RawConnection.open(port: port)
        for n in 0..<20 {
            connection.send("GET /n/\(n) HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await connection.readResponse().text == "n=\(n)")
        }
        #expect(!connection.isClosed)
        connection.close()
        await server.shutdown()
    }

    @Test @LoopActor func pipelinedRequestsAreAnsweredInOrder() async throws {
        let (server, port) = try startServer()
        let connection = try await RawConnection.open(port: port)
        connection.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /n/7 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await connection.readResponse().text == "slow done")
        #expect(try await connection.readResponse().text == "abc")
        #expect(try await connection.readResponse().text == "n=7")
        connection.close()
        await server.shutdown()
    }

    @Test @LoopActor func connectionCloseAndHTTP10CloseAfterTheResponse() async throws {
        let (server, port) = try startServer()
        let first = try await RawConnection.open(port: port)
        first.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let response = try await first.readResponse()
        #expect(response.headers["connection"] == "close")
        #expect(await first.waitForClose())
        let second = try await RawConnection.open(port: port)
        second.send("GET / HTTP/1.0\r\n\r\n")
        #expect(try await second.readResponse().text == "root")
        #expect(await second.waitForClose())
        let third = try await RawConnection.open(port: port)
        third.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try await third.readResponse().text == "root")
        third.send("GET /n/1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try await third.readResponse().text == "n=1")
        third.close()
        await server.shutdown()
    }

    @Test @LoopActor func expectContinueGets100BeforeTheBody() async throws {
        let (server, port) = try startServer()
        let connection = try await RawConnection.open(port: port)
        connection.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        let interim = try await connection.readResponse()
        #expect(interim.status == 100)
        connection.send("hello")
        let final = try await connection.readResponse()
        #expect(final.status == 200)
        #expect(final.text == "hello")
        connection.close()
        await server.shutdown()
    }

    @Test @LoopActor func headRequestsGetHeadersOnly() async throws {
        let (server, port) = try startServer()
        let connection = try await RawConnection.open(port: port)
        connection.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let head = try await connection.readResponse(isHead: true)
        #expect(head.headers["content-length"] == "4")
        #expect(try await connection.readResponse().text == "root")   // no stray body bytes in between
        connection.close()
        await server.shutdown()
    }

    @Test(arguments: [
        ("GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        ("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 17_000) + "\r\n\r\n", 431),
        ("GET / HTTP/1.1\r\nHost: x\r\n" + (0..<101).map { "X-\($0): v\r\n" }.joined() + "\r\n", 431),
        ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 9000000\r\n\r\n", 413),
        ("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("garbage\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nBad Header\r\n\r\n", 400),
    ])
    @LoopActor func badRequestsGetTheirStatusAndCloseWhileOthersAreServed(request: String, status: Int) async throws {
        let (server, port) = try startServer()
        let bystander = try await RawConnection.open(port: port)
        bystander.send("GET /n/1 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await bystander.readResponse().text == "n=1")
        let bad = try await RawConnection.open(port: port)
        bad.send(request)
        let response = try await bad.readResponse()
        #expect(response.status == status)
        #expect(response.headers["connection"] == "close")
        #expect(await bad.waitForClose())
        bystander.send("GET /n/2 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await bystander.readResponse().text == "n=2")
        bystander.close()
        await server.shutdown()
    }

    @Test @LoopActor func forwardedHeadersCountOnlyFromTrustedProxies() async throws {
        let request = "GET /peer HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 6.6.6.6, 203.0.113.9\r\nX-Forwarded-Proto: https\r\n\r\n"
        let (trusting, trustingPort) = try startServer { $0.trustedProxies = [IPNetwork("127.0.0.0/8")!] }
        let viaProxy = try await RawConnection.open(port: trustingPort)
        viaProxy.send(request)
        #expect(try await viaProxy.readResponse().text == "203.0.113.9:0 true")
        await trusting.shutdown()
        // From a peer that is not a trusted proxy, the same headers change nothing.
        let (plain, plainPort) = try startServer { $0.trustedProxies = [IPNetwork("10.0.0.0/8")!] }
        let spoofer = try await RawConnection.open(port: plainPort)
        spoofer.send(request)
        let seen = try await spoofer.readResponse().text
        #expect(seen.hasPrefix("127.0.0.1:") && seen.hasSuffix(" false") && !seen.contains("203.0.113.9"), "\(seen)")
        await plain.shutdown()
    }

    /// One server on a TCP address and a unix socket at once: a unix-socket peer (an nginx
    /// upstream) is a trusted proxy unless told otherwise; the TCP peer is not.
    @Test @LoopActor func oneServerListensOnTCPAndAUnixSocket() async throws {
        let path = "/tmp/flagon-server-\(UInt32.random(in: 0...UInt32.max)).sock"
        let request = "GET /peer HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\n\r\n"
        for trusted in [true, false] {
            let (server, port) = try startServer { options in
                options.listen = [.tcp(host: "127.0.0.1", port: 0), .unix(path: path)]
                options.trustsUnixSocketPeers = trusted
            }
            #expect(port == server.port && port > 0)
            let overTCP = try await RawConnection.open(port: port)
            overTCP.send(request)
            #expect(try await overTCP.readResponse().text.hasPrefix("127.0.0.1:"))
            let overUnix = try await RawConnection.open(unixPath: path)
            overUnix.send(request)
            #expect(try await overUnix.readResponse().text == (trusted ? "203.0.113.9:0 true" : "- false"))
            await server.shutdown()
            #expect(access(path, F_OK) != 0)   // the socket file is gone
        }
    }

    @Test @LoopActor func limitsAreOptions() async throws {
        let (server, port) = try startServer { $0.limits.maxBodyBytes = 4 }
        let connection = try await RawConnection.open(port: port)
        connection.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        #expect(try await connection.readResponse().status == 413)
        await server.shutdown()
    }

    @Test @LoopActor func aClientSendingOneByteAtATimeGets408() async throws {
        let (server, port) = try startServer { $0.headerTimeout = 300 }
        let slow = try await RawConnection.open(port: port)
        let request = Array("GET / HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n".utf8)
        let start = EventLoop.shared.nowMilliseconds
        var sent = 0
        while !slow.isClosed && sent < request.count && EventLoop.shared.nowMilliseconds - start < 3000 {
            slow.send([request[sent]])
            sent += 1
            await LoopTimer.sleep(milliseconds: 50)
        }
        let response = try await slow.readResponse()
        #expect(response.status == 408)
        #expect(sent < request.count)
        #expect(EventLoop.shared.nowMilliseconds - start < 1500)
        await server.shutdown()
    }

    @Test @LoopActor func idleKeepAliveConnectionsAreClosed() async throws {
        // 3 s: a loaded test run can hold this test's turns back for a second or two between
        // the accept and the request, and a connection idle that long is closed, as it must be.
        let (server, port) = try startServer { $0.keepAliveTimeout = 3000 }
        let connection = try await RawConnection.open(port: port)
        // Timed from before the request: the server's idle time starts after its response,
        // so the close cannot come sooner than the keep-alive timeout after this point,
        // however late this side reads the response.
        let start = EventLoop.shared.nowMilliseconds
        connection.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try await connection.readResponse()
        #expect(await connection.waitForClose(timeout: 8000))
        #expect(EventLoop.shared.nowMilliseconds - start >= 2950)
        await server.shutdown()
    }

    @Test @LoopActor func aDeferredResponseDoesNotBlockOtherClients() async throws {
        let (server, port) = try startServer()
        let waiting = try await RawConnection.open(port: port)
        waiting.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        let quick = try await RawConnection.open(port: port)
        quick.send("GET /n/3 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await quick.readResponse(timeout: 1000).text == "n=3")   // answered while /slow waits
        #expect(waiting.buffer.isEmpty)
        #expect(try await waiting.readResponse().text == "slow done")
        await server.shutdown()
    }

    @Test @LoopActor func upgradeHandsTheConnectionOver() async throws {
        let (server, port) = try startServer()
        let connection = try await RawConnection.open(port: port)
        connection.send("GET /upgrade HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nearly")
        let response = try await connection.readResponse()
        #expect(response.status == 101)
        #expect(await connection.wait { connection.buffer == Array("early".utf8) })
        connection.send("ping")
        #expect(await connection.wait { connection.buffer == Array("earlyping".utf8) })
        #expect(server.connectionCount == 0)
        await server.shutdown()
        #expect(await connection.waitForClose())
    }

    @Test @LoopActor func gracefulShutdownFinishesInFlightResponsesThenClosesEverything() async throws {
        let (server, port) = try startServer()
        let idle = try await RawConnection.open(port: port)
        idle.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try await idle.readResponse()
        let busy = try await RawConnection.open(port: port)
        busy.send("GET /slow?tag=shutdown HTTP/1.1\r\nHost: x\r\n\r\n")
        // The request must be in flight (read and running) before the shutdown begins.
        for _ in 0..<500 where slowRequestsStarted["shutdown"] == nil { await LoopTimer.sleep(milliseconds: 2) }
        #expect(slowRequestsStarted["shutdown"] == 1)
        #expect(server.handles.openCount >= 4)   // listener, timer, two connections
        let shutdown = Task { await server.shutdown() }
        let response = try await busy.readResponse()
        #expect(response.text == "slow done")
        #expect(response.headers["connection"] == "close")
        #expect(await idle.waitForClose())
        await shutdown.value
        #expect(server.handles.openCount == 0)
        // New connections are refused.
        await #expect(throws: (any Error).self) {
            let late = try await RawConnection.open(port: port)
            late.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try await late.readResponse(timeout: 1000)
        }
    }

    @Test @LoopActor func shutdownWithOpenConnectionsLeavesNoLiveHandles() async throws {
        let (server, port) = try startServer { $0.shutdownTimeout = 200 }
        var clients: [RawConnection] = []
        for _ in 0..<5 {
            let client = try await RawConnection.open(port: port)
            client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try await client.readResponse()
            clients.append(client)
        }
        let stuck = try await RawConnection.open(port: port)
        stuck.send("GET / HTTP/1.1\r\nHost: x\r\n")   // never finishes its head
        await LoopTimer.sleep(milliseconds: 20)
        #expect(server.handles.openCount == 8)   // listener + sweep timer + six connections
        await server.shutdown()
        #expect(server.handles.openCount == 0)
        for client in clients { #expect(await client.waitForClose()) }
    }

    @Test @LoopActor func sigtermStartsAGracefulShutdown() async throws {
        var options = liveOptions()
        options.handleSignals = true
        let server = try Server(app: serverApp(), options: options)
        let port = try server.start()
        let running = Task { try await server.run() }
        await LoopTimer.sleep(milliseconds: 20)
        let client = try await RawConnection.open(port: port)
        client.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        await LoopTimer.sleep(milliseconds: 20)
        kill(getpid(), SIGTERM)
        #expect(try await client.readResponse().text == "slow done")
        try await running.value
        #expect(server.handles.openCount == 0)
    }

    @Test @LoopActor func ipv6Listening() async throws {
        let (server, port) = try startServer { $0.host = "::1" }
        let connection = try await RawConnection.open(host: "::1", port: port)
        connection.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await connection.readResponse().text == "root")
        await server.shutdown()
    }
}
