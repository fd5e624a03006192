import ConformanceApp
import Flagon
#if canImport(Glibc)
import Glibc
#endif

// The conformance server: 127.0.0.1, port $PORT (default 3000).
let app = await ConformanceApp.make()
try await app.run(host: "127.0.0.1", port: getenv("PORT").flatMap { Int(String(cString: $0)) } ?? 3000)
