import FlagonLoop

/// Storage for the argument text of incoming events, reused from event to event.
///
/// Each event's text is copied out of the frame into one of a few buffers, one per size
/// class (64 to 1,024 bytes). A handler that does not keep its ``RawArguments`` leaves
/// that buffer unshared when it returns, so the next event of the class writes into it
/// again instead of allocating. A handler that keeps them keeps the buffer (copy on
/// write): the next event of the class then starts a new one. A kept text thus holds at
/// most twice its size; longer texts get a buffer of their own.
///
/// ```swift
/// let text = ArgumentTextBuffers.copy(bytes)   // shares a reused buffer's storage
/// ```
@LoopActor
enum ArgumentTextBuffers {
    /// The largest text copied into a reused buffer.
    static let maxReusedLength = 1024
    private static let smallestClass = 64

    /// One buffer per size class: 64, 128, 256, 512 and 1,024 bytes.
    @exclusivity(unchecked) private static var buffers: [[UInt8]] = Array(repeating: [], count: 5)

    /// The bytes as an array, in a reused buffer when they are short.
    static func copy(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        let count = bytes.count
        guard count > 0 else { return [] }
        guard count <= maxReusedLength else { return Array(bytes) }
        let sizeClass = count <= smallestClass ? 0 : Int.bitWidth - (count - 1).leadingZeroBitCount - 6
        // Keeps the storage when nothing else holds it; makes a new one (of the same capacity) when something does.
        buffers[sizeClass].removeAll(keepingCapacity: true)
        let capacity = smallestClass << sizeClass
        if buffers[sizeClass].capacity < capacity { buffers[sizeClass].reserveCapacity(capacity) }
        buffers[sizeClass].append(contentsOf: bytes)
        return buffers[sizeClass]
    }
}
