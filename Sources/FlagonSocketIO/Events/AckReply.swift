/// What a handler answers with, on its way to ``Socket/sendAck(_:_:)-(Int,AckReply)``: the
/// ack's arguments, or one value that measured its JSON text and writes it straight into the
/// ack's frame.
@usableFromInline
enum AckReply {
    case arguments(RawArguments)
    case measured(MeasuredAckText)

    /// The reply's arguments as ``RawArguments`` (the measured value's text in an array).
    var arguments: RawArguments {
        switch self {
        case .arguments(let arguments): return arguments
        case .measured(let measured):
            var text: [UInt8] = []
            text.reserveCapacity(measured.length)
            _ = measured.value._writeJSONText(into: &text)
            return RawArguments(validatedText: text)
        }
    }
}
