// JSON values are part of Flagon's API (request bodies, responses, sessions, Socket.IO
// arguments), and handlers are isolated to the loop's actor: `import Flagon` brings both
// (`JSONValue`, `LoopActor`) along, with the HTTP types its options and handlers use
// (`HTTPHeaders`, `IPNetwork` for `trustedProxies`) and TLS's.
@_exported import FlagonHTTP
@_exported import FlagonJSON
@_exported import FlagonLoop
@_exported import FlagonTLS
