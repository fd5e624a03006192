import FlagonSocketIO

/// Makes a struct (without generic parameters) an event argument and an ack value read and
/// written straight from and to JSON text, with no decoder or encoder in between: the
/// fastest typed argument.
///
/// The macro adds the conformances to ``EventArgument``, ``JSONTextWritable`` and `Codable`,
/// all generated from the struct's stored properties, in declaration order (the properties
/// synthesized `Codable` would take: `let`s with an initial value and `lazy` ones are left
/// out). Each property's type must be `Codable`, an ``EventArgument`` and a
/// ``JSONTextWritable``: Int, Double, Bool, String, arrays, `[String: T]` dictionaries and
/// optionals of them, and other `@EventPayload` structs. An optional member may be missing or `null`; unknown keys are
/// skipped; of a repeated key, the last one counts. Text events, binary and msgpack events
/// and the test client all read it with the same generated rules.
///
/// Because the macro writes `CodingKeys`, `init(from:)` and `encode(to:)`, a struct that
/// declares its own (custom keys or decoding that the fast path would skip) does not
/// compile: for those, declare `Decodable, EventArgument` instead.
///
/// ```swift
/// @EventPayload
/// struct Move { let x: Int; let y: Int; let note: String? }
/// sio.on("move") { (socket: Socket, move: Move) -> Move in move }
/// ```
@attached(extension, conformances: EventArgument, JSONTextWritable, Codable,
          names: named(CodingKeys), named(_payloadNames), named(init), named(encode),
          named(_readArgument), named(_decodeArgument), named(_writeJSONText), named(_jsonTextLength))
public macro EventPayload() = #externalMacro(module: "FlagonMacrosPlugin", type: "EventPayloadMacro")
