import FlagonJSON
import FlagonLoop

/// Gathers the acks of one broadcast across servers, as socket.io counts them: complete when
/// every server has said how many clients it asked and that many answers have come.
@LoopActor
final class AckCollector {
    private var completion: (@LoopActor (BroadcastAcks) -> Void)?
    private var responses: [JSONValue] = []
    private var expectedClients = 0
    private var reportingServers = 0
    private var expectedServers: Int?
    var timer: LoopTimer?

    init(completion: @escaping @LoopActor (BroadcastAcks) -> Void) {
        self.completion = completion
    }

    func serverReported(clients: Int) {
        expectedClients += clients
        reportingServers += 1
        check()
    }

    func received(_ answer: JSONValue) {
        guard completion != nil else { return }
        responses.append(answer)
        check()
    }

    func expectServers(_ count: Int) {
        expectedServers = count
        check()
    }

    private func check() {
        guard let expectedServers, reportingServers >= expectedServers, responses.count >= expectedClients else { return }
        finish(timedOut: false)
    }

    func finish(timedOut: Bool) {
        guard let completion else { return }
        self.completion = nil
        timer?.close()
        timer = nil
        completion(BroadcastAcks(responses: responses, timedOut: timedOut))
    }
}
