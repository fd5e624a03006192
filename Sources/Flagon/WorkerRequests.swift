import FlagonLoop

/// Requests between the workers of one server, over their links (``WorkerMesh``): a worker
/// serves named requests, another asks it and awaits the answer, or only tells it. Each
/// worker receives on its own channel; a request carries who asks and an id that its answer
/// repeats:
///
/// ```text
/// kind: UInt8 (0 request, 1 answer, 2 no such request, 3 told) | from: UInt16 | id: UInt64 |
/// name length: UInt8 | name | body
/// ```
///
/// ```swift
/// requests.serve("time") { _ in Array("\(now)".utf8) }
/// let answer = await requests.ask(1, "time", [])   // nil when worker 1 did not answer in time
/// ```
@LoopActor
public final class WorkerRequests {
    /// The requests of this worker's mesh.
    public static let shared: WorkerRequests? = WorkerMesh.shared.map { WorkerRequests(mesh: $0) }

    private let mesh: WorkerMesh
    private var handlers: [String: @LoopActor ([UInt8]) async -> [UInt8]] = [:]
    private var waiting: [UInt64: (timer: LoopTimer, done: CheckedContinuation<[UInt8]?, Never>)] = [:]
    private var nextID: UInt64 = 1
    /// Requests or answers that were not understood.
    public private(set) var malformed = 0

    private init(mesh: WorkerMesh) {
        self.mesh = mesh
        mesh.handle(Self.channel(of: mesh.identity.index)) { [unowned self] payload in received(payload) }
    }

    static func channel(of index: Int) -> String { "flagon-requests#\(index)#" }

    /// Answers the requests named `name` with `handler`.
    public func serve(_ name: String, _ handler: @escaping @LoopActor ([UInt8]) async -> [UInt8]) {
        handlers[name] = handler
    }

    /// Asks worker `index` (this one too) and returns its answer; `nil` when it cannot be
    /// reached, serves no such request, or does not answer within `timeout` milliseconds.
    public func ask(_ index: Int, _ name: String, _ body: [UInt8], timeout: UInt64 = 2000) async -> [UInt8]? {
        if index == mesh.identity.index {
            guard let handler = handlers[name] else { return nil }
            return await handler(body)
        }
        guard await mesh.waitUntilReachable(index, timeout: min(timeout, 1000)) else { return nil }
        let id = nextID
        nextID += 1
        return await withCheckedContinuation { continuation in
            let timer = LoopTimer { [weak self] in self?.finish(id, with: nil) }
            waiting[id] = (timer, continuation)
            timer.start(afterMilliseconds: timeout)
            if !mesh.send(Self.channel(of: index), encode(kind: 0, id: id, name: name, body: body), to: index) { finish(id, with: nil) }
        }
    }

    /// Sends worker `index` (this one too) a request that has no answer.
    public func tell(_ index: Int, _ name: String, _ body: [UInt8]) {
        if index == mesh.identity.index {
            if let handler = handlers[name] { Task { _ = await handler(body) } }
            return
        }
        mesh.send(Self.channel(of: index), encode(kind: 3, id: 0, name: name, body: body), to: index)
    }

    private func finish(_ id: UInt64, with answer: [UInt8]?) {
        guard let request = waiting.removeValue(forKey: id) else { return }
        request.timer.close()
        request.done.resume(returning: answer)
    }

    private func encode(kind: UInt8, id: UInt64, name: String, body: [UInt8]) -> [UInt8] {
        let me = mesh.identity.index
        let nameBytes = Array(name.utf8.prefix(255))
        var out: [UInt8] = [kind, UInt8(me >> 8 & 0xFF), UInt8(me & 0xFF)]
        out.reserveCapacity(12 + nameBytes.count + body.count)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(id >> UInt64(shift) & 0xFF)) }
        out.append(UInt8(nameBytes.count))
        out += nameBytes
        out += body
        return out
    }

    private func received(_ payload: [UInt8]) {
        guard payload.count >= 12, payload.count >= 12 + Int(payload[11]) else {
            malformed += 1
            return
        }
        let kind = payload[0]
        let from = Int(payload[1]) << 8 | Int(payload[2])
        let id = payload[3..<11].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let nameEnd = 12 + Int(payload[11])
        let name = String(decoding: payload[12..<nameEnd], as: UTF8.self)
        let body = Array(payload[nameEnd...])
        switch kind {
        case 0, 3:
            guard from < mesh.identity.count else {
                malformed += 1
                return
            }
            guard let handler = handlers[name] else {
                if kind == 0 { mesh.send(Self.channel(of: from), encode(kind: 2, id: id, name: "", body: []), to: from) }
                return
            }
            Task {
                let answer = await handler(body)
                if kind == 0 { mesh.send(Self.channel(of: from), encode(kind: 1, id: id, name: "", body: answer), to: from) }
            }
        case 1: finish(id, with: body)
        case 2: finish(id, with: nil)
        default: malformed += 1
        }
    }
}
