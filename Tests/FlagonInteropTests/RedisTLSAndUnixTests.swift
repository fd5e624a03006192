import Foundation
import FlagonLoop
import FlagonRedisAdapter
import FlagonTLS
import Testing

/// `rediss://` against a redis-server serving TLS with a CA the test makes, and `unix://`
/// against one listening on a unix socket.
@Suite(.serialized) struct RedisTLSAndUnixTests {
    @Test(.enabled(if: InteropTools.runnable(InteropTools.redis), "needs redis-server (scripts/setup --test)"))
    func redissVerifiesRedisAndCarriesPubSubAndTheAdapter() async throws {
        // openssl runs here, off the loop (other suites' servers share it).
        let certs = try ExternalProcess.makeTestCertificates(prefix: "flagon-redis-tls")
        defer { try? FileManager.default.removeItem(atPath: certs) }
        try await checkRediss(certs: certs)
    }

    @LoopActor private func checkRediss(certs: String) async throws {
        let port = try TestPorts.reserve()
        let server = try await RedisServer.start(port: port, arguments: [
            "--port", "0", "--tls-port", String(port), "--tls-cert-file", "\(certs)/server.pem", "--tls-key-file", "\(certs)/server.key",
            "--tls-ca-cert-file", "\(certs)/ca.pem", "--tls-auth-clients", "optional",
        ])
        defer { RedisServer.stop(server) }
        var endpoint = try RedisEndpoint(url: "rediss://localhost:\(port)/2")
        endpoint.tls.caFile = "\(certs)/ca.pem"
        let publisher = try await endpoint.open()
        let subscriber = try await endpoint.open()
        #expect(try await publisher.command("SET", "k", "over tls") == .simpleString("OK"))
        #expect(try await publisher.command("GET", "k").text == "over tls")
        var messages: [String] = []
        subscriber.onMessage = { messages.append(String(decoding: $0.payload, as: UTF8.self)) }
        try await subscriber.subscribe("news")
        let large = String(repeating: "x", count: 200_000)
        #expect(try await publisher.command("PUBLISH", "news", large) == .integer(1))
        #expect(try await publisher.command("PUBLISH", "news", "second") == .integer(1))
        for _ in 0..<300 where messages.count < 2 { await LoopTimer.sleep(milliseconds: 10) }
        #expect(messages == [large, "second"])
        publisher.close()
        subscriber.close()

        // With a client certificate, where Redis asks for one.
        endpoint.tls.clientCertificate = TLSCertificate(certificateFile: "\(certs)/client.pem", privateKeyFile: "\(certs)/client.key")
        let withCertificate = try await endpoint.open()
        #expect(try await withCertificate.command("PING") == .simpleString("PONG"))
        withCertificate.close()

        // The adapter's cluster over TLS.
        var options = RedisAdapterOptions(url: "rediss://127.0.0.1:\(port)")
        options.tls.caFile = "\(certs)/ca.pem"
        let cluster = try await RedisCluster.connect(options)
        #expect(cluster.isConnected)
        cluster.close()

        // The system's CAs do not know the test CA; a name the certificate lacks fails too.
        for (caFile, serverName) in [(nil, nil), ("\(certs)/ca.pem", "wrong.example")] as [(String?, String?)] {
            var refused = try RedisEndpoint(url: "rediss://localhost:\(port)")
            refused.tls.caFile = caFile
            refused.tls.serverName = serverName
            do {
                _ = try await refused.open(timeoutMilliseconds: 2000)
                Issue.record("\(String(describing: serverName)) was accepted")
            } catch {
                #expect("\(error)".contains("certificate verification failed"), "\(error)")
            }
        }
        // A plain redis:// client on the TLS port gets no answer it can mistake for one.
        do {
            _ = try await RedisEndpoint(url: "redis://127.0.0.1:\(port)").open(timeoutMilliseconds: 1000)
            Issue.record("plain TCP on the TLS port was accepted")
        } catch {}
    }

    @Test(.enabled(if: InteropTools.runnable(InteropTools.redis), "needs redis-server (scripts/setup --test)"))
    @LoopActor func unixSocketWithADatabase() async throws {
        let socket = FileManager.default.temporaryDirectory.appendingPathComponent("flagon-redis-\(getpid()).sock").path
        let server = try await RedisServer.start(arguments: ["--unixsocket", socket, "--unixsocketperm", "700"])
        defer { RedisServer.stop(server) }
        let connection = try await RedisEndpoint(url: "unix://\(socket)?db=2").open()
        #expect(try await connection.command("SET", "k", "v") == .simpleString("OK"))
        let probe = try await RedisEndpoint(url: "redis://127.0.0.1:\(server.port)/2").open()
        #expect(try await probe.command("GET", "k").text == "v")
        probe.close()
        let cluster = try await RedisCluster.connect(RedisAdapterOptions(url: "unix://\(socket)"))
        #expect(cluster.isConnected)
        cluster.close()
        connection.close()
        do {
            _ = try await RedisEndpoint(url: "unix:///nonexistent/redis.sock").open(timeoutMilliseconds: 1000)
            Issue.record("a missing socket was accepted")
        } catch {
            #expect("\(error)".contains("/nonexistent/redis.sock"), "\(error)")
        }
    }
}
