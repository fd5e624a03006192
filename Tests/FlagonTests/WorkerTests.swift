import FlagonHTTP
import Testing
@testable import Flagon

/// The frames between workers, read from literal bytes; ids that name their worker.
@Suite struct WorkerTests {
    private func read(_ bytes: [UInt8], chunk: Int = .max) throws -> [WorkerMeshFrame] {
        var reader = WorkerMeshFrame.Reader()
        var frames: [WorkerMeshFrame] = []
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            bytes[offset..<end].withUnsafeBytes { reader.feed($0) }
            offset = end
            while let frame = try reader.next() { frames.append(frame) }
        }
        return frames
    }

    @Test func framesHaveTheirDocumentedBytes() {
        #expect(WorkerMeshFrame.hello(index: 258).encoded == [0, 0, 0, 3, 1, 1, 2])
        #expect(WorkerMeshFrame.subscribe("a#").encoded == [0, 0, 0, 3, 2, 0x61, 0x23])
        #expect(WorkerMeshFrame.unsubscribe("a").encoded == [0, 0, 0, 2, 3, 0x61])
        #expect(WorkerMeshFrame.publish(channel: "c", payload: [9, 8]).encoded == [0, 0, 0, 6, 4, 0, 1, 0x63, 9, 8])
        #expect(WorkerMeshFrame.handover(bytes: Array("GET".utf8)).encoded == [0, 0, 0, 4, 5, 0x47, 0x45, 0x54])
    }

    @Test(arguments: [1, 2, 3, 7, 1000])
    func framesSplitAnywhereAreReadWhole(chunk: Int) throws {
        let frames: [WorkerMeshFrame] = [
            .hello(index: 1), .subscribe("socket.io#/#"), .publish(channel: "x", payload: Array(0..<200)),
            .unsubscribe("socket.io#/#"), .handover(bytes: Array("POST / HTTP/1.1\r\n\r\n".utf8)),
        ]
        let bytes = frames.flatMap(\.encoded)
        #expect(try read(bytes, chunk: chunk) == frames)
    }

    @Test func badFramesAreRefusedWithTheirReason() {
        #expect(throws: WorkerMeshFrame.Failure.tooLong(0)) { try read([0, 0, 0, 0]) }
        #expect(throws: WorkerMeshFrame.Failure.tooLong(0x7F00_0000)) { try read([0x7F, 0, 0, 0, 1]) }
        #expect(throws: WorkerMeshFrame.Failure.unknownKind(9)) { try read([0, 0, 0, 1, 9]) }
        #expect(throws: WorkerMeshFrame.Failure.malformed("hello of 1 bytes")) { try read([0, 0, 0, 2, 1, 0]) }
        #expect(throws: WorkerMeshFrame.Failure.malformed("publish with a bad channel name")) {
            try read([0, 0, 0, 4, 4, 0, 5, 0x61])
        }
        #expect(throws: WorkerMeshFrame.Failure.malformed("channel name not UTF-8")) { try read([0, 0, 0, 2, 2, 0xFF]) }
    }

    @Test func idsNameTheirWorkerInTwoCharacters() {
        #expect(WorkerIDs.prefix(for: 0) == "AA")
        #expect(WorkerIDs.prefix(for: 1) == "AB")
        #expect(WorkerIDs.prefix(for: 64) == "BA")
        #expect(WorkerIDs.prefix(for: 4095) == "__")
        for index in [0, 1, 63, 64, 1000, 4095] {
            #expect(WorkerIDs.owner(of: WorkerIDs.prefix(for: index) + "rest", workers: 4096) == index)
        }
        #expect(WorkerIDs.owner(of: "ACxyz", workers: 2) == nil)   // worker 2 of 2 does not exist
        #expect(WorkerIDs.owner(of: "AB", workers: 2) == nil)      // nothing after the prefix
        #expect(WorkerIDs.owner(of: "A%xyz", workers: 2) == nil)
        #expect(WorkerIDs.owner(of: "", workers: 2) == nil)
        // Alone, a process neither stamps nor routes.
        #expect(WorkerIdentity.current == nil)
        #expect(WorkerIDs.stamp("abc") == "abc")
        #expect(WorkerIDs.owner(of: "ABabc") == nil)
    }

    @Test func workerCountsParseAsTheEnvironmentGivesThem() {
        #expect(WorkerCount(parsing: "auto") == .auto)
        #expect(WorkerCount(parsing: " 4 ") == .count(4))
        #expect(WorkerCount(parsing: "0") == nil)
        #expect(WorkerCount(parsing: "-1") == nil)
        #expect(WorkerCount(parsing: "4097") == nil)
        #expect(WorkerCount(parsing: "two") == nil)
        #expect(WorkerCount(parsing: nil) == nil)
        #expect(WorkerCount.auto.resolved >= 1)
        #expect(WorkerCount.count(3).resolved == 3)
    }

    @Test func aRequestWrittenBackParsesToTheSameRequest() throws {
        let wire = "POST /socket.io/?sid=AB1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n"
            + "X-Two: a\r\nX-Two: b\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
            + "GET /next HTTP/1.0\r\nHost: h\r\n\r\n"
        var parser = HTTPRequestParser()
        Array(wire.utf8).withUnsafeBytes { parser.feed($0) }
        var messages: [HTTPRequestMessage] = []
        while let event = try parser.next() { if case .request(let message) = event { messages.append(message) } }
        #expect(messages.count == 2)
        let written = messages.flatMap(HTTPRequestSerializer.serialize)
        #expect(String(decoding: written, as: UTF8.self).hasPrefix(
            "POST /socket.io/?sid=AB1 HTTP/1.1\r\nHost: h\r\nX-Two: a\r\nX-Two: b\r\nContent-Length: 5\r\n\r\nabcde"))
        var again = HTTPRequestParser()
        written.withUnsafeBytes { again.feed($0) }
        var reparsed: [HTTPRequestMessage] = []
        while let event = try again.next() { if case .request(let message) = event { reparsed.append(message) } }
        #expect(reparsed.map(\.body) == messages.map(\.body))
        #expect(reparsed.map(\.head.target) == messages.map(\.head.target))
        #expect(reparsed.map(\.head.keepAlive) == messages.map(\.head.keepAlive))
        #expect(reparsed[0].head.expectsContinue == false)
        #expect(reparsed[0].head.headers.values(for: "x-two") == ["a", "b"])
    }
}

/// One scrape of several workers' metrics.
@Suite struct PrometheusMergeTests {
    @Test func familiesStayGroupedWithEachWorkersSamplesLabelled() {
        let zero = """
            # HELP up Whether it is up.
            # TYPE up gauge
            up 1
            # HELP requests_total Requests.
            # TYPE requests_total counter
            requests_total{method="GET"} 3
            requests_total{} 1
            # TYPE lag histogram
            lag_bucket{le="0.1"} 2
            lag_sum 0.5
            lag_count 2

            """
        let one = """
            # HELP up Whether it is up.
            # TYPE up gauge
            up 1
            # TYPE only_here gauge
            only_here 7
            # HELP requests_total Requests.
            # TYPE requests_total counter
            requests_total{method="GET"} 5

            """
        #expect(PrometheusMerge.merge([(0, zero), (1, one)]) == """
            # HELP up Whether it is up.
            # TYPE up gauge
            up{worker="0"} 1
            up{worker="1"} 1
            # HELP requests_total Requests.
            # TYPE requests_total counter
            requests_total{worker="0",method="GET"} 3
            requests_total{worker="0"} 1
            requests_total{worker="1",method="GET"} 5
            # TYPE lag histogram
            lag_bucket{worker="0",le="0.1"} 2
            lag_sum{worker="0"} 0.5
            lag_count{worker="0"} 2
            # TYPE only_here gauge
            only_here{worker="1"} 7

            """)
    }
}

/// `/proc` lines as Linux writes them, read into the `process_*` metrics.
@Suite struct ProcessMetricsTests {
    @Test func procStatIsRead() throws {
        // A command name with a space and a parenthesis, as /proc shows it.
        let stat = "4242 (my (demo) app) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 150 0 0 20 0 3 0 123456 987654321 2560 18446744073709551615"
        let system = "cpu  1 2 3\nintr 5\nbtime 1796400000\nprocesses 9\n"
        let metrics = try #require(ProcessMetrics.parse(stat: stat, systemStat: system, ticksPerSecond: 100, pageSize: 4096,
                                                         openDescriptors: 12, maxDescriptors: 1024))
        #expect(metrics == ProcessMetrics(residentBytes: 2560 * 4096, cpuSeconds: 4.0, openDescriptors: 12, maxDescriptors: 1024,
                                          startTimeSeconds: 1_796_400_000 + 1234.56))
        #expect(ProcessMetrics.parse(stat: "garbage", systemStat: system, ticksPerSecond: 100, pageSize: 4096,
                                     openDescriptors: 0, maxDescriptors: 0) == nil)
        let current = try #require(ProcessMetrics.current())
        #expect(current.residentBytes > 1 << 20 && current.openDescriptors > 2 && current.startTimeSeconds > 1_700_000_000)
    }
}
