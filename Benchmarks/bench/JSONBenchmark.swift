import FlagonJSON
import Foundation

/// Compares FlagonJSON with Foundation's JSONSerialization on Socket.IO-sized payloads.
enum JSONBenchmark {
    static let payloads: [(String, String)] = [
        ("echo args", #"[{"n":1,"s":"hello world"}]"#),
        ("event", #"["message-back",1,"2",{"3":[true]}]"#),
        ("chat message", #"["said",{"room":"lobby","text":"Hello everyone, how is it going? \u00e9\u00e8 \ud83c\udf89","from":"Vq3kS1xYt0m9Wb2aZ8rL","ts":1795300000123,"tags":["a","b","c"],"meta":{"edited":false,"replyTo":null,"score":0.75}}]"#),
    ]

    static func run(iterations: Int = 200_000) {
        print("JSON: parse + serialize, ns per operation (\(iterations) iterations, best of 3)")
        print("| payload | bytes | FlagonJSON parse | Foundation parse | FlagonJSON write | Foundation write |")
        print("| --- | --- | --- | --- | --- | --- |")
        for (name, text) in payloads {
            let bytes = Array(text.utf8)
            let data = Data(bytes)
            let value = try! JSONValue.parse(bytes)
            let object = try! JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            let flagonParse = best { for _ in 0..<iterations { blackHole(try! JSONValue.parse(bytes)) } }
            let foundationParse = best {
                for _ in 0..<iterations { blackHole(try! JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) }
            }
            let flagonWrite = best { for _ in 0..<iterations { blackHole(try! value.serialized()) } }
            let foundationWrite = best {
                for _ in 0..<iterations { blackHole(try! JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed])) }
            }
            func ns(_ duration: Duration) -> String {
                let (seconds, attoseconds) = duration.components
                let total = Double(seconds) * 1e9 + Double(attoseconds) / 1e9
                return String(Int(total / Double(iterations)))
            }
            print("| \(name) | \(bytes.count) | \(ns(flagonParse)) | \(ns(foundationParse)) | \(ns(flagonWrite)) | \(ns(foundationWrite)) |")
        }
    }

    private static func best(_ body: () -> Void) -> Duration {
        var best = Duration.seconds(1_000_000)
        for _ in 0..<3 {
            let clock = ContinuousClock()
            let started = clock.now
            body()
            best = min(best, clock.now - started)
        }
        return best
    }
}

@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
