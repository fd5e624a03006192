/// A JSON object that keeps its members in order. Lookups scan the members, which is
/// faster than hashing for the small objects of real-time messages.
///
/// ```swift
/// var object = JSONObject()
/// object["room"] = "lobby"
/// object["room"]?.stringValue   // "lobby"
/// ```
public struct JSONObject: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    /// One member: a key and its value. (A struct rather than a tuple: its type metadata
    /// is static, which keeps allocating and freeing objects cheap.)
    public struct Member: Sendable, Hashable {
        public var key: String
        public var value: JSONValue

        /// Creates a member.
        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// The members, in order.
    public private(set) var members: [Member]

    /// An empty object.
    public init() { members = [] }

    /// An object with these members; a repeated key keeps its last value, at its first place
    /// (in time linear in the count, whatever the keys: see ``Builder``).
    public init(_ members: [(key: String, value: JSONValue)]) {
        var builder = Builder(capacity: members.count)
        for member in members { builder.add(member.key, member.value) }
        self = builder.object
    }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements.map { (key: $0.0, value: $0.1) })
    }

    /// The number of members.
    public var count: Int { members.count }
    /// `true` when the object has no members.
    public var isEmpty: Bool { members.isEmpty }
    /// The keys, in order.
    public var keys: [String] { members.map(\.key) }

    /// The value of `key`; setting `nil` removes the member.
    public subscript(key: String) -> JSONValue? {
        get {
            for member in members where member.key == key { return member.value }
            return nil
        }
        set {
            if let index = members.firstIndex(where: { $0.key == key }) {
                if let newValue { members[index].value = newValue } else { members.remove(at: index) }
            } else if let newValue {
                members.append(Member(key: key, value: newValue))
            }
        }
    }

    /// Builds an object from members given in order, a repeated key keeping its last value
    /// at its first place, in time linear in the number of members: a small object is
    /// checked by scanning its keys (faster than hashing for real-time messages), a larger
    /// one through an index of its keys, so that no input (85,000 distinct keys, or one key
    /// repeated 85,000 times) costs more than a constant per member.
    ///
    /// ```swift
    /// var builder = JSONObject.Builder()
    /// builder.add("a", 1)
    /// builder.add("a", 2)
    /// builder.object   // {"a": 2}
    /// ```
    public struct Builder: Sendable {
        /// The object so far.
        public private(set) var object = JSONObject()
        private var positions: [String: Int]?
        /// Key comparisons made by scanning so far (at most ``scanLimit`` per member).
        public private(set) var comparisons = 0

        /// Members an object may have before its keys are indexed.
        public static let scanLimit = 16

        /// A builder with room for `capacity` members.
        public init(capacity: Int = 4) { object.members.reserveCapacity(capacity) }

        /// Adds a member, or replaces the value of an earlier one with that key.
        public mutating func add(_ key: String, _ value: JSONValue) {
            if positions == nil {
                if object.members.count < Self.scanLimit {
                    for index in object.members.indices {
                        comparisons += 1
                        if object.members[index].key == key {
                            object.members[index].value = value
                            return
                        }
                    }
                    object.members.append(Member(key: key, value: value))
                    return
                }
                var index: [String: Int] = [:]
                index.reserveCapacity(object.members.count * 2)
                for (position, member) in object.members.enumerated() { index[member.key] = position }
                positions = index
            }
            if let position = positions![key] {
                object.members[position].value = value
            } else {
                positions![key] = object.members.count
                object.members.append(Member(key: key, value: value))
            }
        }
    }

    public func makeIterator() -> IndexingIterator<[Member]> {
        members.makeIterator()
    }
}
