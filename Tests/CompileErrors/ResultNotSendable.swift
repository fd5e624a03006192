// expect: requires that 'Opaque' conform to 'AckConvertible'
import FlagonMacros
import FlagonSocketIO

struct Opaque {}

@SocketNamespace
final class Results: NamespaceController {
    func on_get() -> Opaque { Opaque() }
}
