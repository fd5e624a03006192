import DemoApp
import Flagon
import FlagonRedisAdapter
import FlagonSocketIO
import Foundation

// Serves the demo on 127.0.0.1:5000 ($PORT overrides) until SIGINT or SIGTERM. With
// REDIS_URL, it joins the cluster on that Redis (scripts/cluster-demo runs two of them).
let environment = ProcessInfo.processInfo.environment
var cluster: RedisCluster?
if let url = environment["REDIS_URL"], !url.isEmpty {
    var options = RedisAdapterOptions(url: url)
    options.serverID = environment["SERVER_ID"]
    cluster = try await RedisCluster.connect(options)
}
var store: (any ConnectionStateStore)?
if let cluster { store = await RedisConnectionStateStore(cluster: cluster, settings: ConnectionStateRecovery()) }
let app = await DemoApp.make(adapter: cluster?.makeAdapter, stateStore: store)
if let cluster {
    await app.addMetrics { cluster.writeMetrics(into: &$0) }
    await app.onShutdown { cluster.close() }
}
try await app.run()
