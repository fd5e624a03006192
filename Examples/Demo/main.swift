import DemoApp
import Flagon

// Serves the demo on 127.0.0.1:5000 ($PORT overrides) until SIGINT or SIGTERM.
let app = await DemoApp.make()
try await app.run()
