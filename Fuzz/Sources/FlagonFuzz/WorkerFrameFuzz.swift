@testable import Flagon

/// The frames one worker reads from another, split where the input's first byte says:
/// nothing may trap, an error stops the link, and every frame read encodes back to bytes
/// that read as the same frame.
enum WorkerFrameFuzz {
    static func run(_ input: [UInt8]) {
        guard let first = input.first else { return }
        let bytes = Array(input.dropFirst())
        let split = bytes.isEmpty ? 0 : Int(first) % (bytes.count + 1)
        var reader = WorkerMeshFrame.Reader()
        var frames: [WorkerMeshFrame] = []
        do {
            for part in [bytes[..<split], bytes[split...]] {
                part.withUnsafeBytes { reader.feed($0) }
                while let frame = try reader.next() { frames.append(frame) }
            }
        } catch {
            return
        }
        for frame in frames {
            var again = WorkerMeshFrame.Reader()
            frame.encoded.withUnsafeBytes { again.feed($0) }
            let back = try? again.next()
            check(back == frame, "\(frame) did not read back the same")
        }
    }
}
