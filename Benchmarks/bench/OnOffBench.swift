import FlagonLoop
import Foundation

/// echo-50 and fanout-capacity against a fresh server without a feature and one with it
/// (a `bench serve` flag), twice, alternating: the feature's cost per unit, in one run.
@LoopActor
struct OnOffBench {
    let options: BenchOptions
    /// The `bench serve` flag that turns the feature on (`--recovery`, `--metrics`).
    let flag: String
    /// What the results call it.
    let label: String

    func run() async throws -> [ScenarioResult] {
        var results: [ScenarioResult] = []
        for on in [false, true, false, true] {
            let (server, port) = try await startChildServer(pin: options.pin, workers: options.workers, arguments: on ? [flag] : [])
            let runner = BenchRunner(options: options, port: port, serverPID: server.processIdentifier)
            for scenario in ["echo-50", "fanout-capacity"] {
                var result = await runner.run(scenario)
                result.name += ", \(label) \(on ? "on" : "off")"
                results.append(result)
            }
            server.terminate()
            server.waitUntilExit()
        }
        return results
    }
}
