import SwiftDiagnostics
import SwiftSyntax
import SwiftSyntaxMacros

/// `@Event("name")`: a marker read by `@SocketNamespace`; it generates nothing itself and
/// only checks where it is written.
public struct EventNameMacro: PeerMacro {
    public static func expansion(
        of node: AttributeSyntax, providingPeersOf declaration: some DeclSyntaxProtocol,
        in context: some MacroExpansionContext
    ) throws -> [DeclSyntax] {
        if !declaration.is(FunctionDeclSyntax.self) {
            context.diagnose(Diagnostic(node: node, message: MacroDiagnostic(
                "eventOnNonMethod", "@Event names the event of a controller method; put it on a method")))
        } else if ControllerMethod.explicitName(node) == nil {
            context.diagnose(Diagnostic(node: node, message: MacroDiagnostic(
                "eventNameNotLiteral", "@Event needs the event's name as one plain string literal, such as @Event(\"chat message\")")))
        }
        return []
    }
}
