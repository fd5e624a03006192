import FlagonMacrosPlugin
import SwiftSyntaxMacroExpansion
import SwiftSyntaxMacrosGenericTestSupport
import Testing

let macros: [String: MacroSpec] = [
    "SocketNamespace": MacroSpec(type: SocketNamespaceMacro.self),
    "Event": MacroSpec(type: EventNameMacro.self),
    "EventPayload": MacroSpec(type: EventPayloadMacro.self, conformances: ["EventArgument", "JSONTextWritable", "Codable"]),
]

/// `assertMacroExpansion` reporting through Swift Testing.
func expect(
    _ source: String, expands expanded: String, diagnostics: [DiagnosticSpec] = [],
    fileID: StaticString = #fileID, filePath: StaticString = #filePath, line: UInt = #line, column: UInt = #column
) {
    assertMacroExpansion(
        source, expandedSource: expanded, diagnostics: diagnostics, macroSpecs: macros,
        failureHandler: { failure in
            Issue.record(
                Comment(rawValue: failure.message),
                sourceLocation: SourceLocation(
                    fileID: failure.location.fileID, filePath: failure.location.filePath,
                    line: failure.location.line, column: failure.location.column))
        },
        fileID: fileID, filePath: filePath, line: line, column: column)
}
