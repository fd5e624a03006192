@testable import Flagon
import Testing

/// Query strings and cookies at the request line's and the head's limits, in their worst
/// shapes: the bytes examined are counted, not timed.
@Suite struct LinearQueryAndCookieTests {
    /// 8 KB of the request line: empty pairs, pairs without values, escapes, one long name.
    @Test(arguments: [
        String(repeating: "&", count: 8192),
        String(repeating: "a&", count: 4096),
        String(repeating: "%41", count: 2730),
        String(repeating: "a=b&", count: 2048),
        String(repeating: "x", count: 8191) + "=",
        String(repeating: "a=%4", count: 2048),
    ])
    func queryStringsAreParsedInOnePass(_ query: String) {
        var examined = 0
        let parameters = QueryParameters(query, examined: &examined)
        #expect(examined <= 3 * query.utf8.count + 1, "\(examined) for \(query.utf8.count) bytes")
        _ = parameters.isEmpty
    }

    @Test func theWorstQueriesGiveTheRightPairs() {
        #expect(QueryParameters(String(repeating: "&", count: 8192)).isEmpty)
        #expect(QueryParameters(String(repeating: "a&", count: 4096)).all("a").count == 4096)
        #expect(QueryParameters(String(repeating: "%41", count: 2730)).pairs.first?.name == String(repeating: "A", count: 2730))
    }

    /// A 16 KB Cookie header of 2,000 distinct cookies, and of one name 2,000 times.
    @Test(arguments: [
        (0..<2000).map { "c\($0)=v" }.joined(separator: "; "),
        Array(repeating: "same=v", count: 2000).joined(separator: "; "),
        String(repeating: ";", count: 16_000),
        "k=" + String(repeating: "\"", count: 16_000),
    ])
    func cookieHeadersAreParsedInOnePass(_ header: String) {
        var examined = 0
        let cookies = Cookie.parse(header: header, examined: &examined)
        #expect(examined <= 2 * header.utf8.count, "\(examined) for \(header.utf8.count) bytes")
        #expect(cookies.count <= 2000)
    }
}
