import Glibc

/// A fixed set of short strings (at most 255) found by their bytes: an open-addressed table
/// indexed by a hash of a string's length and three of its bytes, each candidate checked
/// byte for byte. Spelling is exact (case counts).
package struct CommonStringTable: Sendable {
    private static let slotCount = 512
    private static let empty: UInt8 = 255
    /// Each slot: a string's number, or `empty`.
    private let slots: [UInt8]
    /// Every string's bytes, one after another, and where each starts and ends.
    private let flat: [UInt8]
    private let bounds: [Range<Int>]

    package init(_ strings: [String]) {
        precondition(strings.count < Int(Self.empty), "255 marks an empty slot")
        var slots = [UInt8](repeating: Self.empty, count: Self.slotCount)
        var flat: [UInt8] = []
        var bounds: [Range<Int>] = []
        for string in strings {
            let start = flat.count
            flat += string.utf8
            bounds.append(start..<flat.count)
        }
        for (index, string) in strings.enumerated() {
            let bytes = Array(string.utf8)
            var slot = bytes.withUnsafeBufferPointer { Self.hash($0) }
            var duplicate = false
            while slots[slot] != Self.empty {
                if flat[bounds[Int(slots[slot])]].elementsEqual(bytes) { duplicate = true }   // the first number stays
                slot = (slot + 1) & (Self.slotCount - 1)
            }
            if !duplicate { slots[slot] = UInt8(index) }
        }
        self.slots = slots
        self.flat = flat
        self.bounds = bounds
    }

    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        let count = bytes.count
        guard count > 0 else { return 0 }
        let mixed = count &* 97 &+ Int(bytes[0]) &* 31 &+ Int(bytes[count - 1]) &* 131 &+ Int(bytes[count >> 1]) &* 7
        return mixed & (slotCount - 1)
    }

    /// The number of the string spelled exactly as `bytes`, if it is one of the set.
    package func code(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt8? {
        guard bytes.count > 0 else { return nil }
        var slot = Self.hash(bytes)
        return slots.withUnsafeBufferPointer { slots in
            flat.withUnsafeBufferPointer { flat in
                while true {
                    let code = slots[slot]
                    if code == Self.empty { return nil }
                    let range = bounds[Int(code)]
                    if range.count == bytes.count
                        && memcmp(flat.baseAddress! + range.lowerBound, bytes.baseAddress!, bytes.count) == 0 {
                        return code
                    }
                    slot = (slot + 1) & (Self.slotCount - 1)
                }
            }
        }
    }
}
