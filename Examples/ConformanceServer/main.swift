import ConformanceApp
import Flagon
import FlagonRedisAdapter
import FlagonSocketIO
import Foundation

// The conformance server: 127.0.0.1, port $PORT (default 3000); RATE_LIMIT, DRAIN_MS,
// REDIS_URL, SERVER_ID, RECOVERY_MS, WORKERS, TLS_CERT and TLS_KEY as the contract describes.
let environment = ProcessInfo.processInfo.environment
let port = environment["PORT"].flatMap { Int($0) } ?? 3000
// With WORKERS=N, this process supervises N workers from here on; each worker runs the rest.
if let text = environment["WORKERS"] ?? environment["FLAGON_WORKERS"], !text.isEmpty {
    guard let workers = WorkerCount(parsing: text) else {
        FileHandle.standardError.write(Data("WORKERS must be auto or a number from 1 to \(WorkerIdentity.maxWorkers): \(text)\n".utf8))
        exit(2)
    }
    try await WorkerSupervisor.superviseIfPrimary(workers, host: "127.0.0.1", port: port)
}
let settings = ConformanceApp.Settings.fromEnvironment(environment)
var cluster: RedisCluster?
if let url = environment["REDIS_URL"], !url.isEmpty {
    var options = RedisAdapterOptions(url: url)
    // rediss://: REDIS_CA_FILE names the CA; REDIS_TLS_INSECURE=1 skips verification (tests only).
    options.tls.caFile = environment["REDIS_CA_FILE"].flatMap { $0.isEmpty ? nil : $0 }
    options.tls.verifyPeer = environment["REDIS_TLS_INSECURE"] != "1"
    // Each worker is one server of the Redis cluster; whoami still names the whole server.
    options.serverID = WorkerIdentity.current.map { settings.serverID + "-w\($0.index)" } ?? settings.serverID
    if environment["REDIS_ROUTING"] == "pattern" { options.routing = .pattern }
    // REDIS_SHARDED=static|dynamic|dynamic-private: sharded pub/sub (contract section 14).
    if let mode = environment["REDIS_SHARDED"], !mode.isEmpty {
        guard let sharded = RedisShardedMode(rawValue: mode) else {
            FileHandle.standardError.write(Data("REDIS_SHARDED: \(mode) is not static, dynamic or dynamic-private\n".utf8))
            exit(2)
        }
        options.sharded = sharded
    }
    // REDIS_CLUSTER=1: REDIS_URL names one node of a Redis Cluster (contract section 14).
    options.redisCluster = environment["REDIS_CLUSTER"] == "1"
    cluster = try await RedisCluster.connect(options)
}
// In cluster mode, recovery keeps its state in Redis: a client recovers on any process.
var store: (any ConnectionStateStore)?
if let cluster, let window = settings.recoveryMilliseconds {
    store = await RedisConnectionStateStore(cluster: cluster, settings: ConnectionStateRecovery(maxDisconnectionDuration: window))
}
// In cluster mode, /live's room histories are Redis streams that every server shares.
var history: (any RoomHistoryStore)?
if let cluster { history = await RedisRoomHistory(cluster: cluster, limits: RoomHistoryLimits(maxMessages: settings.historyLimit)) }
let app = await ConformanceApp.make(settings, adapter: cluster?.makeAdapter, stateStore: store, historyStore: history)
if let cluster {
    await app.addMetrics { cluster.writeMetrics(into: &$0) }
    await app.onShutdown { cluster.close() }
}   // after the sessions closed: their states go out first
// With TLS_CERT and TLS_KEY (PEM files), app.run serves HTTPS and WSS only; SIGHUP reloads them.
try await app.run(host: "127.0.0.1", port: port)
