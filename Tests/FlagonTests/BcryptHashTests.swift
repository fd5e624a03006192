@testable import Flagon
import FlagonLoop
import Testing

/// bcrypt through the system's libcrypt: published vectors, the three prefixes Node's and
/// PHP's libraries write, and the bound on checks at once.
@Suite struct BcryptHashTests {
    /// OpenBSD's test vectors (cost 5, salt "CCC…").
    @Test(arguments: [
        ("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"),
        ("U*U*", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK"),
        ("", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy"),
    ])
    func publishedVectors(password: String, hash: String) {
        #expect(BcryptHash.isHash(hash))
        #expect(BcryptHash.hash(password, setting: String(hash.prefix(29))) == hash)
        #expect(BcryptHash.hash(password, setting: hash) == hash)
    }

    @Test func theShapeOfAHash() {
        #expect(BcryptHash.isHash("$2b$04$Flagonadminuitestsalt.AzsaC8TzgM8TH18KxnZlFrAAofU6dv."))
        #expect(BcryptHash.isHash("$2y$10$" + String(repeating: "a", count: 53)))
        #expect(!BcryptHash.isHash("$2x$10$" + String(repeating: "a", count: 53)))   // not a prefix Node writes
        #expect(!BcryptHash.isHash("$2b$03$" + String(repeating: "a", count: 53)))   // cost below 4
        #expect(!BcryptHash.isHash("$2b$10$" + String(repeating: "a", count: 52)))
        #expect(!BcryptHash.isHash("$2b$10$" + String(repeating: "a", count: 52) + "!"))
        #expect(!BcryptHash.isHash("s3cret"))
        #expect(BcryptHash.hash("pass\u{0}word", setting: "$2b$04$Flagonadminuitestsalt.") == nil)
    }

    @Test @LoopActor func verifyOnThePool() async {
        let hash = "$2b$04$Flagonadminuitestsalt.AzsaC8TzgM8TH18KxnZlFrAAofU6dv."
        #expect(await BcryptHash.verify("pw", against: hash))
        #expect(await BcryptHash.verify("pw", against: "$2y$" + hash.dropFirst(4)))   // PHP's prefix, same digest
        #expect(await BcryptHash.verify("pw", against: "$2a$" + hash.dropFirst(4)))
        #expect(!(await BcryptHash.verify("pW", against: hash)))
        #expect(!(await BcryptHash.verify("pw", against: "pw")))   // not a hash
    }

    @Test @LoopActor func atMostTwoChecksRunAtOnce() async {
        // A gate of this test's own (the shared one serves the suites running beside it),
        // its places taken by hand: no timing involved.
        let hash = "$2b$04$Flagonadminuitestsalt.AzsaC8TzgM8TH18KxnZlFrAAofU6dv."
        let gate = BcryptHash.Gate(limit: BcryptHash.maxConcurrentChecks)
        #expect(gate.enter() && gate.enter() && !gate.enter())
        #expect(!(await BcryptHash.verify("pw", against: hash, gate: gate)))   // refused at once: two running
        gate.leave()
        #expect(await BcryptHash.verify("pw", against: hash, gate: gate))      // a place free
        #expect(gate.running == 1)   // the check gave its place back
        gate.leave()
        #expect(gate.running == 0)
    }
}
