/// SHA-1 (FIPS 180-4), for the WebSocket handshake's accept value only: RFC 6455 fixes
/// the hash, and a message of a few dozen bytes costs less here than a call through a
/// cryptographic library's generic digest interface. It is not for anything that needs
/// collision resistance.
package enum SHA1 {
    /// The 20-byte digest of `message`, written into `digest`.
    package static func hash(_ message: UnsafeRawBufferPointer, into digest: UnsafeMutableRawBufferPointer) {
        precondition(digest.count >= 20, "a SHA-1 digest is 20 bytes")
        var state: (UInt32, UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0)
        let length = message.count
        let whole = length / 64 * 64
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 80) { schedule in
            var offset = 0
            while offset < whole {
                compress(UnsafeRawBufferPointer(rebasing: message[offset..<offset + 64]), &state, schedule)
                offset += 64
            }
            // The tail: the last bytes, a 1 bit, zeros, and the length in bits (one block or two).
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { tail in
                tail.initialize(repeating: 0)
                let rest = length - whole
                for index in 0..<rest { tail[index] = message[whole + index] }
                tail[rest] = 0x80
                let blocks = rest + 9 <= 64 ? 1 : 2
                var bits = UInt64(length) &* 8
                for index in stride(from: blocks * 64 - 1, through: blocks * 64 - 8, by: -1) {
                    tail[index] = UInt8(truncatingIfNeeded: bits)
                    bits >>= 8
                }
                let raw = UnsafeRawBufferPointer(tail)
                compress(UnsafeRawBufferPointer(rebasing: raw[0..<64]), &state, schedule)
                if blocks == 2 { compress(UnsafeRawBufferPointer(rebasing: raw[64..<128]), &state, schedule) }
            }
        }
        digest.storeBytes(of: state.0.bigEndian, toByteOffset: 0, as: UInt32.self)
        digest.storeBytes(of: state.1.bigEndian, toByteOffset: 4, as: UInt32.self)
        digest.storeBytes(of: state.2.bigEndian, toByteOffset: 8, as: UInt32.self)
        digest.storeBytes(of: state.3.bigEndian, toByteOffset: 12, as: UInt32.self)
        digest.storeBytes(of: state.4.bigEndian, toByteOffset: 16, as: UInt32.self)
    }

    @inline(__always)
    private static func rotate(_ value: UInt32, _ count: UInt32) -> UInt32 {
        value << count | value >> (32 - count)
    }

    private static func compress(_ block: UnsafeRawBufferPointer, _ state: inout (UInt32, UInt32, UInt32, UInt32, UInt32),
                                 _ w: UnsafeMutableBufferPointer<UInt32>) {
        for t in 0..<16 { w[t] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 * t, as: UInt32.self)) }
        for t in 16..<80 { w[t] = rotate(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1) }
        var (a, b, c, d, e) = state
        // The four rounds written out (a nested function capturing the five words measured
        // twice as slow).
        for t in 0..<20 {
            let next = rotate(a, 5) &+ ((b & c) | (~b & d)) &+ e &+ 0x5A82_7999 &+ w[t]
            (e, d, c, b, a) = (d, c, rotate(b, 30), a, next)
        }
        for t in 20..<40 {
            let next = rotate(a, 5) &+ (b ^ c ^ d) &+ e &+ 0x6ED9_EBA1 &+ w[t]
            (e, d, c, b, a) = (d, c, rotate(b, 30), a, next)
        }
        for t in 40..<60 {
            let next = rotate(a, 5) &+ ((b & c) | (b & d) | (c & d)) &+ e &+ 0x8F1B_BCDC &+ w[t]
            (e, d, c, b, a) = (d, c, rotate(b, 30), a, next)
        }
        for t in 60..<80 {
            let next = rotate(a, 5) &+ (b ^ c ^ d) &+ e &+ 0xCA62_C1D6 &+ w[t]
            (e, d, c, b, a) = (d, c, rotate(b, 30), a, next)
        }
        state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d, state.4 &+ e)
    }
}
