// expect: invalid redeclaration of 'CodingKeys'
import FlagonMacros
import FlagonSocketIO

// Keys of its own would rename members on the Codable paths only: refused.
@EventPayload
struct Renamed {
    let text: String

    enum CodingKeys: String, CodingKey {
        case text = "t"
    }
}
