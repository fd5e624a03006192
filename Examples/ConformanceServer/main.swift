import ConformanceApp
import Flagon
import Foundation

// The conformance server: 127.0.0.1, port $PORT (default 3000); RATE_LIMIT and DRAIN_MS as
// the contract describes.
let environment = ProcessInfo.processInfo.environment
let app = await ConformanceApp.make(.fromEnvironment(environment))
try await app.run(host: "127.0.0.1", port: environment["PORT"].flatMap { Int($0) } ?? 3000)
