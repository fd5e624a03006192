@testable import Flagon
import Dispatch
import FlagonLoop

/// Cookie headers, signed session cookies (verified with any issued time, and signed
/// then verified back), query strings and forms: nothing may trap.
enum CookieFuzz {
    /// The session middleware is loop-isolated: each input runs on the loop's thread while
    /// the fuzzer's thread waits.
    static func run(_ input: [UInt8]) {
        let done = DispatchSemaphore(value: 0)
        EventLoop.shared.execute {
            LoopActor.assumeIsolated { runOnLoop(input) }
            done.signal()
        }
        done.wait()
    }

    @LoopActor static func runOnLoop(_ input: [UInt8]) {
        let text = String(decoding: input, as: UTF8.self)
        let cookies = Cookie.parse(header: text)
        for (name, _) in cookies { check(!name.isEmpty, "a cookie without a name") }

        var middleware = SessionMiddleware(secretKey: "fuzzing-key-fuzzing-key-fuzzing")
        middleware.clock = { 1_700_000_000 }
        _ = middleware.verify(text, purpose: "cookie")
        // Any issued time the input chooses signs and verifies without trapping.
        let issued = input.prefix(8).reduce(0) { $0 << 8 | Int($1) }
        middleware.clock = { issued }
        let signed = middleware.sign(input, purpose: "cookie")
        middleware.clock = { 1_700_000_000 }
        if let payload = middleware.verify(signed, purpose: "cookie") {
            check(payload == input, "a signed payload came back changed")
        }
        middleware.clock = { issued }
        let fresh = middleware.verify(signed, purpose: "cookie") == input || signed.utf8.count > middleware.maxCookieBytes
        check(fresh, "a fresh cookie does not verify")

        let query = QueryParameters(text)
        for (name, value) in query { _ = (name, value) }
        _ = query.int("a")
    }
}
