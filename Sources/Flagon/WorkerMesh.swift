import FlagonLoop
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The links between the workers of one server: each worker listens on a local socket and
/// keeps one link to every other worker. Over them go publishes to named channels (a worker
/// receives a channel's messages only while it subscribes to it: each tells the others what
/// it subscribes to), and open client connections handed to the worker that owns their
/// session. Nothing goes through a third process.
///
/// ```swift
/// if let mesh = WorkerMesh.shared {
///     mesh.onMessage = { channel, payload in print(channel, payload.count) }
///     mesh.subscribe("news")
///     mesh.publish("news", Array("hello".utf8))   // to the other workers that subscribe
/// }
/// ```
@LoopActor
public final class WorkerMesh {
    /// The mesh of this worker, started when first asked for; `nil` in a process that serves alone.
    public static let shared: WorkerMesh? = WorkerIdentity.current.map { WorkerMesh(identity: $0) }

    /// This worker.
    public let identity: WorkerIdentity
    /// Called with each message published by another worker on a channel subscribed here.
    public var onMessage: ((String, [UInt8]) -> Void)?
    /// Called with each connection handed over to this worker and the bytes already read from it.
    var onHandover: ((TCPStream, [UInt8], ConnectionOrigin?) -> Void)?
    /// The group that handed-over connections are counted in.
    public var streamGroup: HandleGroup?
    /// Bytes queued on one link above which publishes to that worker are dropped (default 64 MiB).
    public var maxPendingBytes = 64 << 20
    /// What went between the workers.
    public private(set) var statistics = WorkerMeshStatistics()

    private let logger = Logger.flagon("flagon.workers")
    private var listener: IPCListener?
    private var outbound: [IPCChannel?]
    private var connecting: [Bool]
    private var peerChannels: [Set<String>?]
    private var peerPrefixes: [Set<String>]
    private var inboundOwner: [ObjectIdentifier: Int] = [:]
    private var local: Set<String> = []
    private var handlers: [String: @LoopActor ([UInt8]) -> Void] = [:]
    private var localPrefixes: Set<String> = []
    private var watchdog: LoopTimer?

    private init(identity: WorkerIdentity) {
        self.identity = identity
        outbound = Array(repeating: nil, count: identity.count)
        connecting = Array(repeating: false, count: identity.count)
        peerChannels = Array(repeating: nil, count: identity.count)
        peerPrefixes = Array(repeating: [], count: identity.count)
        do {
            listener = try IPCListener(path: identity.channelPath(of: identity.index)) { [unowned self] in accepted($0) }
        } catch {
            logger.error("worker \(identity.index) cannot listen for the other workers: \(error)")
        }
        for peer in 0..<identity.count where peer != identity.index { connect(to: peer) }
        // A worker whose supervisor is gone stops as on SIGTERM.
        let supervisor = identity.supervisorPID
        watchdog = LoopTimer {
            if getppid() != supervisor { kill(getpid(), SIGTERM) }
        }
        watchdog?.start(afterMilliseconds: 500, repeatMilliseconds: 500)
        watchdog?.unref()
    }

    // MARK: Channels

    /// Starts receiving a channel's messages (through ``onMessage``).
    public func subscribe(_ channel: String) {
        guard local.insert(channel).inserted else { return }
        sendToAll(.subscribe(channel))
    }

    /// Stops receiving a channel's messages.
    public func unsubscribe(_ channel: String) {
        guard local.remove(channel) != nil else { return }
        sendToAll(.unsubscribe(channel))
    }

    /// Subscribes to a channel whose messages go to `handler` instead of ``onMessage``.
    public func handle(_ channel: String, _ handler: @escaping @LoopActor ([UInt8]) -> Void) {
        handlers[channel] = handler
        subscribe(channel)
    }

    /// Starts receiving the messages of every channel whose name starts with `prefix`.
    public func subscribe(prefix: String) {
        guard localPrefixes.insert(prefix).inserted else { return }
        sendToAll(.subscribePrefix(prefix))
    }

    /// Stops receiving the channels of a prefix.
    public func unsubscribe(prefix: String) {
        guard localPrefixes.remove(prefix) != nil else { return }
        sendToAll(.unsubscribePrefix(prefix))
    }

    private func peerFollows(_ peer: Int, _ channel: String) -> Bool {
        if peerChannels[peer]?.contains(channel) == true { return true }
        return peerChannels[peer] != nil && peerPrefixes[peer].contains { channel.hasPrefix($0) }
    }

    /// Sends a message to every other worker that subscribes to `channel`; `false` (and
    /// counted) when one of them could not be reached.
    @discardableResult
    public func publish(_ channel: String, _ payload: [UInt8]) -> Bool {
        var frame: [UInt8]?
        var complete = true
        for peer in 0..<identity.count where peerFollows(peer, channel) {
            guard let link = outbound[peer], !link.isClosed, link.pendingWriteBytes < maxPendingBytes else {
                statistics.dropped += 1
                complete = false
                continue
            }
            if frame == nil { frame = WorkerMeshFrame.publish(channel: channel, payload: payload).encoded }
            link.write(frame!)
            statistics.published += 1
        }
        return complete
    }

    /// Sends a message on `channel` to worker `index` alone, whether or not it has said that it
    /// follows the channel (requests between workers: the peer serves its own channel from its
    /// start, before its link to this worker may be up); `false` when it cannot be reached.
    @discardableResult
    public func send(_ channel: String, _ payload: [UInt8], to index: Int) -> Bool {
        guard isReachable(index), let link = outbound[index], link.pendingWriteBytes < maxPendingBytes else {
            statistics.dropped += 1
            return false
        }
        link.write(WorkerMeshFrame.publish(channel: channel, payload: payload).encoded)
        statistics.published += 1
        return true
    }

    /// Waits until worker `index` can be reached, at most `timeout` milliseconds (a worker that
    /// just started links to the others within milliseconds).
    public func waitUntilReachable(_ index: Int, timeout: UInt64) async -> Bool {
        let deadline = EventLoop.shared.nowMilliseconds + timeout
        while !isReachable(index) {
            guard index >= 0, index < identity.count, EventLoop.shared.nowMilliseconds < deadline else { return false }
            await LoopTimer.sleep(milliseconds: 10)
        }
        return true
    }

    /// How many workers subscribe to `channel`, this one included.
    public func subscriberCount(_ channel: String) -> Int {
        var count = local.contains(channel) ? 1 : 0
        for channels in peerChannels where channels?.contains(channel) == true { count += 1 }
        return count
    }

    /// Whether worker `index` can be reached now.
    public func isReachable(_ index: Int) -> Bool {
        index >= 0 && index < identity.count && outbound[index].map { !$0.isClosed } == true
    }

    /// Hands an open connection to worker `index`, with the bytes already read from it;
    /// `completion` gets `false` when that worker cannot take it (the caller keeps the
    /// connection). After `true`, the caller closes its own handle.
    func handOver(_ stream: TCPStream, bytes: [UInt8], origin: ConnectionOrigin? = nil, to index: Int,
                  completion: @escaping @LoopActor (Bool) -> Void) {
        guard isReachable(index), let link = outbound[index] else { return completion(false) }
        statistics.handedOver += 1
        let frame = origin.map { WorkerMeshFrame.relayedHandover(address: $0.address, secure: $0.isSecure, bytes: bytes) }
            ?? .handover(bytes: bytes)
        link.write(frame.encoded, sending: stream, completion: completion)
    }

    // MARK: Links

    private func sendToAll(_ frame: WorkerMeshFrame) {
        let bytes = frame.encoded
        for link in outbound { if let link, !link.isClosed { link.write(bytes) } }
    }

    private func connect(to peer: Int) {
        guard !connecting[peer] else { return }
        connecting[peer] = true
        Task { [self] in
            let link = try? await IPCChannel.connect(path: identity.channelPath(of: peer))
            connecting[peer] = false
            guard let link else { return retryConnect(to: peer) }
            outbound[peer] = link
            link.onClose = { [weak self, weak link] in
                guard let self else { return }
                if outbound[peer] === link { outbound[peer] = nil }
                retryConnect(to: peer)
            }
            // Nothing is read on an outbound link: reading only notices the peer going away.
            link.onRead = { _ in }
            link.startReading()
            var hello = WorkerMeshFrame.hello(index: identity.index).encoded
            for channel in local { hello += WorkerMeshFrame.subscribe(channel).encoded }
            for prefix in localPrefixes { hello += WorkerMeshFrame.subscribePrefix(prefix).encoded }
            link.write(hello)
        }
    }

    private func retryConnect(to peer: Int) {
        var timer: LoopTimer?
        timer = LoopTimer { [weak self] in
            timer?.close()
            timer = nil
            self?.connect(to: peer)
        }
        timer?.start(afterMilliseconds: 50)
        timer?.unref()
    }

    private func accepted(_ link: IPCChannel) {
        var reader = WorkerMeshFrame.Reader()
        let id = ObjectIdentifier(link)
        link.onRead = { [unowned self, unowned link] bytes in
            reader.feed(bytes)
            do {
                while let frame = try reader.next() { received(frame, on: link) }
            } catch {
                statistics.malformed += 1
                logger.error("closing a worker link that sent a malformed frame: \(error)")
                link.close()
            }
        }
        link.onClose = { [weak self] in
            guard let self, let peer = inboundOwner.removeValue(forKey: id) else { return }
            // A link that was replaced by a newer one from the same worker leaves that one's state.
            if !inboundOwner.values.contains(peer) {
                peerChannels[peer] = nil
                peerPrefixes[peer] = []
            }
        }
        link.startReading()
    }

    private func received(_ frame: WorkerMeshFrame, on link: IPCChannel) {
        let id = ObjectIdentifier(link)
        if case .hello(let index) = frame {
            guard index < identity.count, index != identity.index, inboundOwner[id] == nil else {
                statistics.malformed += 1
                return link.close()
            }
            inboundOwner[id] = index
            peerChannels[index] = []
            peerPrefixes[index] = []
            // The worker may have been replaced: reach the new one at once.
            if outbound[index] == nil { connect(to: index) }
            return
        }
        guard let peer = inboundOwner[id] else {
            statistics.malformed += 1
            return link.close()
        }
        switch frame {
        case .hello: break
        case .subscribe(let channel): peerChannels[peer]?.insert(channel)
        case .unsubscribe(let channel): peerChannels[peer]?.remove(channel)
        case .subscribePrefix(let prefix): if peerPrefixes[peer].count < 10_000 { peerPrefixes[peer].insert(prefix) }
        case .unsubscribePrefix(let prefix): peerPrefixes[peer].remove(prefix)
        case .publish(let channel, let payload):
            statistics.received += 1
            if let handler = handlers[channel] { return handler(payload) }
            if local.contains(channel) || localPrefixes.contains(where: { channel.hasPrefix($0) }) { onMessage?(channel, payload) }
        case .handover(let bytes):
            adoptHandedOver(bytes: bytes, origin: nil, from: peer, link: link)
        case .relayedHandover(let address, let secure, let bytes):
            adoptHandedOver(bytes: bytes, origin: ConnectionOrigin(address: address, isSecure: secure), from: peer, link: link)
        }
    }

    private func adoptHandedOver(bytes: [UInt8], origin: ConnectionOrigin?, from peer: Int, link: IPCChannel) {
        guard let stream = link.acceptPendingStream(group: streamGroup) else {
            statistics.malformed += 1
            logger.error("worker \(peer) handed over a request without its connection")
            return
        }
        statistics.received += 1
        if let onHandover { onHandover(stream, bytes, origin) } else { stream.close() }
    }
}

/// Counters of a ``WorkerMesh``.
public struct WorkerMeshStatistics: Sendable, Equatable {
    /// Messages sent to other workers.
    public var published = 0
    /// Messages not sent: the worker was unreachable or too far behind.
    public var dropped = 0
    /// Messages and connections received.
    public var received = 0
    /// Connections handed to other workers.
    public var handedOver = 0
    /// Frames from other workers that broke the format (their link was closed).
    public var malformed = 0
}
