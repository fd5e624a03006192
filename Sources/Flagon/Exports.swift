// JSON values are part of Flagon's API (request bodies, responses, sessions, Socket.IO
// arguments), and handlers are isolated to the loop's actor: `import Flagon` brings both
// (`JSONValue`, `LoopActor`) along.
@_exported import FlagonJSON
@_exported import FlagonLoop
@_exported import FlagonTLS
