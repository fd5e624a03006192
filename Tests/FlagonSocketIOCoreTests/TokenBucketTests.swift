import Testing
import FlagonSocketIOCore

@Suite struct TokenBucketTests {
    /// Which of a series of takes succeed.
    private func takes(_ bucket: inout TokenBucket, at times: [UInt64]) -> [Bool] {
        times.map { bucket.take(now: $0) }
    }

    @Test func startsFullRefillsAtTheRateAndNeverHoldsMoreThanTheBurst() {
        var bucket = TokenBucket(rate: 2, burst: 3, now: 1000)
        #expect(takes(&bucket, at: [1000, 1000, 1000, 1000]) == [true, true, true, false])
        #expect(takes(&bucket, at: [1499]) == [false])           // 0.998 of a token
        #expect(takes(&bucket, at: [1500, 1500]) == [true, false])   // one token after half a second
        #expect(bucket.isFull(now: 3000))
        // A long pause still gives only the burst.
        #expect(takes(&bucket, at: [60_000, 60_000, 60_000, 60_000]) == [true, true, true, false])
    }

    @Test func aClockThatGoesBackDoesNotAddTokens() {
        var bucket = TokenBucket(rate: 1000, burst: 1, now: 5000)
        #expect(takes(&bucket, at: [5000, 4000]) == [true, false])
    }
}
