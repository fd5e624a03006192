import FlagonJSON
import FlagonLoop

/// A handler of events sent by other servers of the cluster; its result is the answer
/// when the sender asked for one.
enum ServerSideHandler {
    case answering(@LoopActor ([JSONValue]) -> JSONValue)
    case silent(@LoopActor ([JSONValue]) -> Void)
}

/// Events between the servers of a cluster (socket.io's `serverSideEmit`): they reach the
/// namespace's handlers on every other server, never a client, and never the sending server.
///
/// ```swift
/// sio.of("/").onServerSideEmit("cache-invalidate") { args in cache.removeAll() }
/// sio.of("/").serverSideEmit("cache-invalidate", "users")
/// let answers = await sio.of("/").serverSideEmitWithAck("load", arguments: [], timeout: 2000)
/// ```
extension Namespace {
    /// Sends an event to the namespace on every other server.
    public func serverSideEmit(_ event: String, _ args: JSONValue...) { serverSideEmit(event, arguments: args) }

    /// Sends an event to the namespace on every other server.
    public func serverSideEmit(_ event: String, arguments: [JSONValue]) {
        adapter.serverSideEmit([.string(event)] + arguments)
    }

    /// Sends an event to every other server and returns one answer from each that answered
    /// within `timeout` milliseconds (the adapter's request timeout when `nil`).
    public func serverSideEmitWithAck(_ event: String, arguments: [JSONValue], timeout: UInt64? = nil) async -> ServerSideEmitAnswers {
        await adapter.serverSideEmitWithAck([.string(event)] + arguments, timeout: timeout)
    }

    /// Handles an event from another server; the result answers a sender that asked for one.
    public func onServerSideEmit(_ event: String, _ handler: @escaping @LoopActor ([JSONValue]) -> JSONValue) {
        serverSideHandlers[event] = .answering(handler)
    }

    /// Handles an event from another server, without an answer.
    public func onServerSideEmit(_ event: String, _ handler: @escaping @LoopActor ([JSONValue]) -> Void) {
        serverSideHandlers[event] = .silent(handler)
    }

    /// Runs the handler of an event that another server sent (`data` is `[event, args...]`);
    /// `reply` sends the answer back when the sender asked for one. Called by adapters.
    public func receiveServerSideEmit(_ data: [JSONValue], reply: (@LoopActor (JSONValue) -> Void)?) {
        guard let event = data.first?.stringValue, let handler = serverSideHandlers[event] else {
            server.options.logger.debug("no handler for the server-side event \(data.first?.stringValue ?? "?") in \(name)")
            return
        }
        let args = Array(data.dropFirst())
        switch handler {
        case .answering(let handle):
            let answer = handle(args)
            reply?(answer)
        case .silent(let handle):
            handle(args)
        }
    }
}
