// expect: invalid redeclaration of 'init(from:)'
import FlagonMacros
import FlagonSocketIO

// An @EventPayload struct is read by generated code: a decoding of its own, which that code
// would skip, is refused.
@EventPayload
struct Renamed {
    let text: String

    init(from decoder: any Decoder) throws {
        text = try decoder.singleValueContainer().decode(String.self)
    }
}
