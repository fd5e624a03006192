import Testing
@testable import FlagonSocketIO

@Suite struct RandomIDsTests {
    /// Ids drawn across many batches: 27 URL-safe characters (160 bits), never the same twice.
    @Test @LoopActor func idsAreUniqueURLSafeAndFullLength() {
        let ids = (0..<1000).map { _ in RandomIDs.make() }
        #expect(Set(ids).count == 1000)
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        #expect(ids.allSatisfy { $0.count == 27 && $0.allSatisfy(alphabet.contains) })
    }
}
