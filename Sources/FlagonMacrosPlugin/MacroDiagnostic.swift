import SwiftDiagnostics

/// An error the macros report at the declaration that causes it.
struct MacroDiagnostic: DiagnosticMessage {
    let message: String
    let id: String

    init(_ id: String, _ message: String) {
        self.id = id
        self.message = message
    }

    var diagnosticID: MessageID { MessageID(domain: "FlagonMacros", id: id) }
    var severity: DiagnosticSeverity { .error }
}
