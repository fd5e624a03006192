import Flagon
import FlagonLoop
import FlagonMessagePack

/// The per-address limits of the workers of one server, for the whole server: each address
/// has one worker that counts its sessions and handshakes (chosen by a hash of the address
/// that every worker computes alike), and the others ask it, one message over their link,
/// before they open a session. When that worker cannot be reached, the asking worker decides
/// with its own counts.
@LoopActor
final class WorkerAddressLimits {
    /// The limits of this worker, when it is one of several.
    static let shared: WorkerAddressLimits? = WorkerRequests.shared.map { WorkerAddressLimits(requests: $0, mesh: WorkerMesh.shared!) }

    private let requests: WorkerRequests
    private let mesh: WorkerMesh
    /// The counts of the addresses this worker keeps, by engine (its scope).
    private var tables: [Int: AddressLimits] = [:]
    private var nextScope = 0
    // Long enough for a loaded worker: a handshake waits this long only when the keeper hangs.
    private let timeout: UInt64 = 5000
    /// Messages from other workers that were not understood.
    private(set) var malformed = 0

    private init(requests: WorkerRequests, mesh: WorkerMesh) {
        self.requests = requests
        self.mesh = mesh
        requests.serve("limits.admit") { [weak self] body in self?.answerAdmit(body) ?? [] }
        requests.serve("limits.closed") { [weak self] body in
            self?.receivedClosed(body)
            return []
        }
    }

    /// A scope for one engine: engines are made in the same order in every worker.
    func makeScope() -> Int {
        defer { nextScope += 1 }
        return nextScope
    }

    /// The worker that counts `address` (FNV-1a of its bytes, the same in every process).
    func keeper(of address: String) -> Int { mesh.identity.keeper(of: address) }

    /// `nil` when a session from `address` may open (it is then counted), or why not.
    func admit(_ address: String, scope: Int, options: EngineOptions) async -> String? {
        let keeper = keeper(of: address)
        let me = mesh.identity.index
        guard keeper != me, mesh.isReachable(keeper) else {
            return admitHere(address, scope: scope, limits: Limits(options))
        }
        var request: MessagePackValue = ["scope": .int(Int64(scope)), "address": .string(address)]
        Limits(options).write(into: &request)
        // No answer in time: this worker's own counts decide.
        guard let answer = await requests.ask(keeper, "limits.admit", MessagePackWriter.encode(request), timeout: timeout),
              case .map(let fields)? = try? MessagePackReader.decode(answer)
        else { return admitHere(address, scope: scope, limits: Limits(options)) }
        if case .string(let refusal)? = fields["refusal"] { return refusal }
        return nil
    }

    /// A session from `address` closed.
    func closed(_ address: String, scope: Int) {
        let keeper = keeper(of: address)
        if keeper == mesh.identity.index || !mesh.isReachable(keeper) {
            tables[scope]?.sessionClosed(address)
            return
        }
        let message: MessagePackValue = ["scope": .int(Int64(scope)), "address": .string(address)]
        requests.tell(keeper, "limits.closed", MessagePackWriter.encode(message))
    }

    private func admitHere(_ address: String, scope: Int, limits: Limits) -> String? {
        var options = EngineOptions()
        options.maxSessionsPerAddress = limits.maxSessions
        options.handshakeRateLimit = limits.perSecond.map { RateLimit(perSecond: $0, burst: limits.burst) }
        if let refusal = tables[scope, default: AddressLimits()].admit(address, options: options, now: EventLoop.shared.nowMilliseconds) {
            return refusal
        }
        tables[scope, default: AddressLimits()].sessionOpened(address)
        return nil
    }

    private func answerAdmit(_ body: [UInt8]) -> [UInt8] {
        guard case .map(let fields)? = try? MessagePackReader.decode(body), case .int(let scope)? = fields["scope"],
              scope >= 0, scope < 1024, case .string(let address)? = fields["address"], address.utf8.count <= 256
        else {
            malformed += 1
            return MessagePackWriter.encode(["refusal": "malformed request"])
        }
        let refusal = admitHere(address, scope: Int(scope), limits: Limits(fields))
        return MessagePackWriter.encode(["refusal": refusal.map(MessagePackValue.string) ?? .nil])
    }

    private func receivedClosed(_ body: [UInt8]) {
        guard case .map(let fields)? = try? MessagePackReader.decode(body), case .int(let scope)? = fields["scope"],
              case .string(let address)? = fields["address"]
        else {
            malformed += 1
            return
        }
        tables[Int(scope)]?.sessionClosed(address)
    }

    /// The limits an engine applies, as they travel with a request.
    private struct Limits {
        var maxSessions: Int?
        var perSecond: Double?
        var burst: Int

        init(_ options: EngineOptions) {
            maxSessions = options.maxSessionsPerAddress
            perSecond = options.handshakeRateLimit?.perSecond
            burst = options.handshakeRateLimit?.burst ?? 1
        }

        init(_ fields: MessagePackMap) {
            if case .int(let most)? = fields["maxSessions"] { maxSessions = Int(most) }
            if case .double(let rate)? = fields["perSecond"], rate > 0 { perSecond = rate }
            if case .int(let burst)? = fields["burst"], burst >= 1 { self.burst = Int(min(burst, 1 << 20)) } else { burst = 1 }
        }

        func write(into value: inout MessagePackValue) {
            guard case .map(var map) = value else { return }
            if let maxSessions { map["maxSessions"] = .int(Int64(maxSessions)) }
            if let perSecond { map["perSecond"] = .double(perSecond) }
            map["burst"] = .int(Int64(burst))
            value = .map(map)
        }
    }
}
