import SwiftCompilerPlugin
import SwiftSyntaxMacros

/// The compiler plugin that provides Flagon's macros.
@main
struct FlagonMacrosPlugin: CompilerPlugin {
    let providingMacros: [any Macro.Type] = [SocketNamespaceMacro.self, EventNameMacro.self, EventPayloadMacro.self]
}
