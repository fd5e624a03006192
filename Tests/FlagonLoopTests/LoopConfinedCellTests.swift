import Testing
@testable import FlagonLoop

/// The cell holds one value, mutated in place, and releases it with itself.
@Suite struct LoopConfinedCellTests {
    final class Payload {}

    struct Counters {
        var sent = 0
        var names: [String] = []
        var payload: Payload?
    }

    @Test func valuesChangeInPlaceAndAreReleasedWithTheCell() {
        weak var released: Payload?
        do {
            let cell = LoopConfinedCell.holding(Counters())
            for _ in 0..<1000 { cell.value.sent &+= 1 }
            cell.value.names.append("a")
            cell.value.names.append("b")
            let payload = Payload()
            released = payload
            cell.value.payload = payload
            #expect(cell.value.sent == 1000 && cell.value.names == ["a", "b"])
            #expect(cell.address.pointee.sent == 1000)
        }
        #expect(released == nil)
    }
}
