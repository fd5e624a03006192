// expect: initialACL names "opne", which is not an event of Vault (its events: login, open)
import FlagonMacros
import FlagonSocketIO

@SocketNamespace(initialACL: ["login", "opne"])
final class Vault: NamespaceController {
    func on_login() {}
    func on_open() {}
}
