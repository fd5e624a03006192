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
    static let shared: WorkerAddressLimits? = WorkerMeshTransport.shared.map { WorkerAddressLimits(transport: $0) }

    private let transport: WorkerMeshTransport
    /// The counts of the addresses this worker keeps, by engine (its scope).
    private var tables: [Int: AddressLimits] = [:]
    private var pending: [String: (timer: LoopTimer, done: CheckedContinuation<String?, Never>)] = [:]
    private var nextScope = 0
    private let timeout: UInt64 = 1000

    private init(transport: WorkerMeshTransport) {
        self.transport = transport
        transport.subscribe(Self.channel(of: transport.mesh.identity.index)) { [weak self] message in self?.received(message) }
    }

    /// A scope for one engine: engines are made in the same order in every worker.
    func makeScope() -> Int {
        defer { nextScope += 1 }
        return nextScope
    }

    static func channel(of index: Int) -> String { "flagon-limits#\(index)#" }

    /// The worker that counts `address` (FNV-1a of its bytes, the same in every process).
    func keeper(of address: String) -> Int {
        var hash: UInt32 = 2_166_136_261
        for byte in address.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return Int(hash % UInt32(transport.mesh.identity.count))
    }

    /// `nil` when a session from `address` may open (it is then counted), or why not.
    func admit(_ address: String, scope: Int, options: EngineOptions) async -> String? {
        let keeper = keeper(of: address)
        let me = transport.mesh.identity.index
        guard keeper != me, transport.mesh.isReachable(keeper) else {
            return admitHere(address, scope: scope, limits: Limits(options))
        }
        let requestID = ClusterAdapter.randomID(length: 12)
        var request: MessagePackValue = [
            "type": "admit", "requestId": .string(requestID), "from": .int(Int64(me)), "scope": .int(Int64(scope)),
            "address": .string(address),
        ]
        Limits(options).write(into: &request)
        return await withCheckedContinuation { continuation in
            let timer = LoopTimer { [weak self] in self?.finish(requestID, refusal: nil) }
            pending[requestID] = (timer, continuation)
            timer.start(afterMilliseconds: timeout)
            if !transport.publish(Self.channel(of: keeper), MessagePackWriter.encode(request)) { finish(requestID, refusal: nil) }
        }
    }

    /// A session from `address` closed.
    func closed(_ address: String, scope: Int) {
        let keeper = keeper(of: address)
        if keeper == transport.mesh.identity.index || !transport.mesh.isReachable(keeper) {
            tables[scope]?.sessionClosed(address)
            return
        }
        let message: MessagePackValue = ["type": "closed", "requestId": "", "scope": .int(Int64(scope)), "address": .string(address)]
        transport.publish(Self.channel(of: keeper), MessagePackWriter.encode(message))
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

    private func finish(_ requestID: String, refusal: String?) {
        guard let request = pending.removeValue(forKey: requestID) else { return }
        request.timer.close()
        request.done.resume(returning: refusal)
    }

    private func received(_ message: ClusterMessage) {
        guard case .map(let fields)? = try? MessagePackReader.decode(message.payload), case .string(let type)? = fields["type"],
              case .string(let requestID)? = fields["requestId"]
        else { return transport.ignored("not an address-limit message", on: message.channel) }
        switch type {
        case "admit":
            guard case .int(let from)? = fields["from"], from >= 0, from < transport.mesh.identity.count,
                  case .int(let scope)? = fields["scope"], scope >= 0, scope < 1024, case .string(let address)? = fields["address"],
                  address.utf8.count <= 256
            else { return transport.ignored("malformed admit request", on: message.channel) }
            let refusal = admitHere(address, scope: Int(scope), limits: Limits(fields))
            let answer: MessagePackValue = ["type": "admitted", "requestId": .string(requestID), "refusal": refusal.map(MessagePackValue.string) ?? .nil]
            transport.publish(Self.channel(of: Int(from)), MessagePackWriter.encode(answer))
        case "admitted":
            if case .string(let refusal)? = fields["refusal"] { finish(requestID, refusal: refusal) } else { finish(requestID, refusal: nil) }
        case "closed":
            guard case .int(let scope)? = fields["scope"], case .string(let address)? = fields["address"] else {
                return transport.ignored("malformed closed message", on: message.channel)
            }
            tables[Int(scope)]?.sessionClosed(address)
        default:
            transport.ignored("unknown address-limit message \(type)", on: message.channel)
        }
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
