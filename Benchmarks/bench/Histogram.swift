/// A latency histogram in microseconds with about 1.5% resolution (64 linear sub-buckets
/// per power of two), for percentiles without keeping every sample.
struct Histogram {
    private var counts = [UInt64](repeating: 0, count: 64 * 40)
    private(set) var total: UInt64 = 0

    @inline(__always)
    private static func index(_ value: UInt64) -> Int {
        if value < 64 { return Int(value) }
        let exponent = 63 - value.leadingZeroBitCount - 5   // value >> exponent is in 32..<64
        return exponent * 32 + Int(value >> UInt64(exponent))
    }

    private static func lowerBound(_ index: Int) -> UInt64 {
        if index < 64 { return UInt64(index) }
        let exponent = index / 32 - 1
        let mantissa = UInt64(index - exponent * 32)
        return mantissa << UInt64(exponent)
    }

    mutating func record(_ micros: UInt64) {
        counts[min(Self.index(micros), counts.count - 1)] += 1
        total += 1
    }

    mutating func merge(_ other: Histogram) {
        for i in counts.indices { counts[i] += other.counts[i] }
        total += other.total
    }

    /// The value below which `fraction` of the samples fall, in microseconds.
    func percentile(_ fraction: Double) -> UInt64 {
        guard total > 0 else { return 0 }
        let rank = UInt64((Double(total) * fraction).rounded(.up))
        var seen: UInt64 = 0
        for (index, count) in counts.enumerated() where count > 0 {
            seen += count
            if seen >= rank { return Self.lowerBound(index) }
        }
        return Self.lowerBound(counts.count - 1)
    }
}
