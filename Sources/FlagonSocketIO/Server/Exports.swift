// A Socket.IO app is a Flagon app: `import FlagonSocketIO` brings `App`, `Request`,
// `Response`, `JSONValue` and `LoopActor` along, and the protocol's own types
// (`EngineData`, `EngineCloseReason`, `SocketIOPacket`) from FlagonSocketIOCore.
@_exported import Flagon
@_exported import FlagonSocketIOCore
