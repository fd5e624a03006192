// expect: reference to member 'opne' cannot be resolved
import FlagonMacros
import FlagonSocketIO

@SocketNamespace
final class Vault: NamespaceController {
    func on_login() { allow(.opne) }
    func on_open() {}
}
