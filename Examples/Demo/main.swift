import DemoApp
import Flagon
import FlagonRedisAdapter
import FlagonSocketIO
import Foundation

// Serves the demo on 127.0.0.1:5000 ($PORT overrides) until SIGINT or SIGTERM, with one
// worker per core ($FLAGON_WORKERS overrides). With REDIS_URL, it joins the cluster on that
// Redis (scripts/cluster-demo runs two of them).
let environment = ProcessInfo.processInfo.environment
let workers = WorkerCount(parsing: environment["FLAGON_WORKERS"]) ?? .auto
// From here on, this process supervises the workers; each of them runs the rest.
try await WorkerSupervisor.superviseIfPrimary(workers, host: "127.0.0.1", port: environment["PORT"].flatMap { Int($0) } ?? 5000)
var cluster: RedisCluster?
if let url = environment["REDIS_URL"], !url.isEmpty {
    var options = RedisAdapterOptions(url: url)
    options.serverID = environment["SERVER_ID"].map { id in WorkerIdentity.current.map { "\(id)-w\($0.index)" } ?? id }
    options.sharded = environment["REDIS_SHARDED"].flatMap(RedisShardedMode.init(rawValue:))   // static, dynamic, dynamic-private
    options.redisCluster = environment["REDIS_CLUSTER"] == "1"   // REDIS_URL names one node of a Redis Cluster
    cluster = try await RedisCluster.connect(options)
}
var store: (any ConnectionStateStore)?
if let cluster { store = await RedisConnectionStateStore(cluster: cluster, settings: ConnectionStateRecovery()) }
var history: (any RoomHistoryStore)?
if let cluster { history = await RedisRoomHistory(cluster: cluster, limits: RoomHistoryLimits(maxMessages: 20)) }
let app = await DemoApp.make(adapter: cluster?.makeAdapter, stateStore: store, historyStore: history)
if let cluster {
    await app.addMetrics { cluster.writeMetrics(into: &$0) }
    await app.onShutdown { cluster.close() }
}
try await app.run(workers: workers)
