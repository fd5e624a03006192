import Testing
@testable import FlagonLoop

@Suite struct WriteBufferPoolTests {
    @Test @LoopActor func smallBuffersComeBackEmptyAndLargeOnesAreFreed() {
        var small = WriteBufferPool.take()
        #expect(small.isEmpty && small.capacity >= WriteBufferPool.minCapacity)
        small.append(contentsOf: [1, 2, 3])
        let before = WriteBufferPool.spareCount
        WriteBufferPool.give(&small)
        #expect(small.capacity == 0)
        #expect(WriteBufferPool.spareCount == min(before + 1, WriteBufferPool.maxBuffers))
        let reused = WriteBufferPool.take()
        #expect(reused.isEmpty && reused.capacity >= 3)

        let kept = WriteBufferPool.spareCount
        var large = [UInt8](repeating: 7, count: WriteBufferPool.maxCapacity + 1)
        WriteBufferPool.give(&large)
        var tiny: [UInt8] = [7]
        WriteBufferPool.give(&tiny)
        #expect(large.capacity == 0 && tiny.capacity == 0)
        #expect(WriteBufferPool.spareCount == kept)
    }

    @Test @LoopActor func thePoolIsBounded() {
        for _ in 0..<(WriteBufferPool.maxBuffers + 10) {
            var buffer: [UInt8] = []
            buffer.reserveCapacity(WriteBufferPool.minCapacity)
            WriteBufferPool.give(&buffer)
        }
        #expect(WriteBufferPool.spareCount == WriteBufferPool.maxBuffers)
        var taken: [[UInt8]] = []
        for _ in 0..<WriteBufferPool.maxBuffers { taken.append(WriteBufferPool.take()) }
        #expect(WriteBufferPool.spareCount == 0)
        #expect(taken.allSatisfy { $0.isEmpty && $0.capacity >= WriteBufferPool.minCapacity })
    }
}
