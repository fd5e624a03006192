import ConformanceApp
import Flagon
import FlagonRedisAdapter
import Foundation

// The conformance server: 127.0.0.1, port $PORT (default 3000); RATE_LIMIT, DRAIN_MS,
// REDIS_URL and SERVER_ID as the contract describes.
let environment = ProcessInfo.processInfo.environment
let settings = ConformanceApp.Settings.fromEnvironment(environment)
var cluster: RedisCluster?
if let url = environment["REDIS_URL"], !url.isEmpty {
    var options = RedisAdapterOptions(url: url)
    options.serverID = settings.serverID
    if environment["REDIS_ROUTING"] == "pattern" { options.routing = .pattern }
    cluster = try await RedisCluster.connect(options)
}
let app = await ConformanceApp.make(settings, adapter: cluster?.makeAdapter)
if let cluster { await app.onShutdown { cluster.close() } }
try await app.run(host: "127.0.0.1", port: environment["PORT"].flatMap { Int($0) } ?? 3000)
