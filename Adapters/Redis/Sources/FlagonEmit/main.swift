import FlagonJSON
import FlagonRedisAdapter
import Foundation

// flagon-emit: emits one event into a Socket.IO cluster on Redis, as @socket.io/redis-emitter does.
let usage = """
    usage: flagon-emit [--redis URL] [--prefix KEY] [--nsp /NAMESPACE] [--room ROOM]... [--except ROOM]... EVENT [JSON]...
      --redis   the cluster's Redis (default redis://127.0.0.1:6379, or $REDIS_URL)
      --prefix  the channels' key prefix (default socket.io)
      --nsp     the namespace (default /)
      --room    a room to emit to (repeatable; default: every socket of the namespace)
      --except  a room to leave out (repeatable)
    Each JSON argument is one argument of the event; text that is not JSON is sent as a string.
    example: flagon-emit --nsp /chat --room lobby announcement '{"text": "deploy at 5"}'
    """

var redis = ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379"
var prefix = "socket.io"
var namespace = "/"
var rooms: [String] = []
var except: [String] = []
var positional: [String] = []
var arguments = CommandLine.arguments.dropFirst()

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

while let argument = arguments.popFirst() {
    func value() -> String {
        guard let next = arguments.popFirst() else { fail("\(argument) needs a value\n\(usage)") }
        return next
    }
    switch argument {
    case "--redis": redis = value()
    case "--prefix": prefix = value()
    case "--nsp": namespace = value()
    case "--room": rooms.append(value())
    case "--except": except.append(value())
    case "-h", "--help":
        print(usage)
        exit(0)
    default:
        if argument.hasPrefix("--") && positional.isEmpty { fail("unknown option \(argument)\n\(usage)") }
        positional.append(argument)
    }
}
guard let event = positional.first else { fail(usage) }
let values = positional.dropFirst().map { text in (try? JSONValue.parse(Array(text.utf8))) ?? .string(text) }

do {
    let emitter = try await RedisEmitter.connect(url: redis, prefix: prefix)
    let sent = await emitter.of(namespace).to(rooms).except(except).emit(event, arguments: Array(values))
    let flushed = await emitter.flush()
    await emitter.close()
    guard sent && flushed else { fail("flagon-emit: the event could not be published") }
} catch {
    fail("flagon-emit: \(error)")
}
