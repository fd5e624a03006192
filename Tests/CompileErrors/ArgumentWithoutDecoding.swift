// expect: does not conform to protocol 'EventArgument'
import FlagonJSON
import FlagonSocketIO

// A type that is not Decodable must decode itself as a CustomEventArgument: a plain
// EventArgument with a method of its own is refused, so nothing of it is ever bypassed.
struct Handmade: EventArgument {
    static func decode(from value: JSONValue) throws(EventArgumentError) -> Handmade { Handmade() }
}
