// JSON values are part of Flagon's API (request bodies, responses, sessions, Socket.IO
// arguments): `import Flagon` brings them along.
@_exported import FlagonJSON
