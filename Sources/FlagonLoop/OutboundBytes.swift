/// A stream's queued output: one growing block of bytes, appended to in place.
///
/// Appending to an array checks uniqueness and capacity on every call, which costs more
/// than a small message's bytes; here one capacity check covers a whole message, and the
/// writer stores through a pointer. Not copyable: the block has one owner, which frees it.
struct OutboundBytes: ~Copyable {
    private var base: UnsafeMutableRawPointer?
    private(set) var count = 0
    private(set) var capacity = 0

    init() {}

    deinit { base?.deallocate() }

    var isEmpty: Bool { count == 0 }

    /// The queued bytes, valid until the next change.
    var bytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: base, count: count) }

    /// Appends a copy of `bytes`.
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        (base! + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    /// Appends `length` bytes that `body` writes (all of them) into the buffer it is given.
    mutating func append(length: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void) {
        precondition(length >= 0)
        guard length > 0 else { return }
        reserve(length)
        body(UnsafeMutableRawBufferPointer(start: base! + count, count: length))
        count += length
    }

    /// Forgets the bytes; keeps the block when asked (a busy stream), else frees it (an idle
    /// connection then holds nothing).
    mutating func removeAll(keepingCapacity: Bool) {
        count = 0
        if !keepingCapacity {
            base?.deallocate()
            base = nil
            capacity = 0
        }
    }

    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        let needed = count + extra
        if needed > capacity { grow(to: needed) }
    }

    private mutating func grow(to needed: Int) {
        let grown = max(needed, capacity * 2, 256)
        let block = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 16)
        if let base {
            block.copyMemory(from: base, byteCount: count)
            base.deallocate()
        }
        base = block
        capacity = grown
    }
}
