// Standard-library calls that take a closure, for loop-isolated hot paths.
//
// The standard library is not built in Swift 6 mode, so a closure formed in loop-isolated
// code and handed to one of its methods (`withUnsafeBufferPointer`, `contains(where:)`, ...)
// begins with a run-time check that it runs on the loop's executor. That check (an executor
// lookup, a dynamic cast, a thread-local read) costs more than parsing a small message. The
// forwarders below are declared in a Swift 6 module, so closures handed to them carry no
// check: their isolation is already proven at compile time.

extension Array where Element == UInt8 {
    /// The array's bytes, for reading; `withUnsafeBytes` without a run-time isolation check
    /// in the closure.
    ///
    /// ```swift
    /// let sum = bytes.withRawBytes { raw in raw.reduce(0, +) }
    /// ```
    @inlinable
    package func withRawBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        withUnsafeBytes { body($0) }
    }

    /// The array's bytes, for writing; `withUnsafeMutableBytes` without a run-time isolation
    /// check in the closure.
    ///
    /// ```swift
    /// buffer.withMutableRawBytes { raw in raw[0] = 0x81 }
    /// ```
    @inlinable
    package mutating func withMutableRawBytes<R>(_ body: (UnsafeMutableRawBufferPointer) -> R) -> R {
        withUnsafeMutableBytes { body($0) }
    }
}

extension ArraySlice where Element == UInt8 {
    /// The slice's bytes; `withUnsafeBufferPointer` without a run-time isolation check in the
    /// closure.
    ///
    /// ```swift
    /// let first = slice.withBytes { bytes in bytes.first }
    /// ```
    @inlinable
    package func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        withUnsafeBufferPointer { body($0) }
    }
}
