// A Socket.IO app is a Flagon app: `import FlagonSocketIO` brings `App`, `Request`,
// `Response`, `JSONValue` and `LoopActor` along.
@_exported import Flagon
