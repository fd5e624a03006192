// expect: requires that 'Opaque' conform to 'AckConvertible'
import FlagonSocketIO

struct Opaque {}

@LoopActor func declare(_ sio: SocketIOServer) {
    sio.on("get") { (socket: Socket, id: Int) -> Opaque in Opaque() }
}
