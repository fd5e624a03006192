// expect: requires that 'Opaque' conform to 'EventArgument'
import FlagonMacros
import FlagonSocketIO

struct Opaque {}

@SocketNamespace
final class Parameters: NamespaceController {
    func on_put(_ value: Opaque) {}
}
