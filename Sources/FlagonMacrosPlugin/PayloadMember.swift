import SwiftDiagnostics
import SwiftSyntax

/// A stored property of an `@EventPayload` struct: one member of its JSON object.
struct PayloadMember {
    /// The name as code spells it (backticks kept).
    let codeName: String
    /// The JSON key (the name without backticks).
    let key: String
    /// The property's type, as written.
    let type: String
    /// `true` for `T?` and `Optional<T>`: a missing key or `null` is `nil`, and `nil` is
    /// left out when written.
    let isOptional: Bool

    /// The members of `structDecl` in declaration order, as synthesized `Codable` takes them:
    /// stored instance properties, less `let`s with an initial value and `lazy` ones.
    static func read(_ structDecl: StructDeclSyntax, diagnose: (Diagnostic) -> Void) -> [PayloadMember] {
        var members: [PayloadMember] = []
        for item in structDecl.memberBlock.members {
            guard let variable = item.decl.as(VariableDeclSyntax.self) else { continue }
            let modifiers = variable.modifiers.map(\.name.tokenKind)
            if modifiers.contains(.keyword(.static)) || modifiers.contains(.keyword(.class)) || modifiers.contains(.keyword(.lazy)) {
                continue
            }
            let isLet = variable.bindingSpecifier.tokenKind == .keyword(.let)
            for binding in variable.bindings {
                if let accessors = binding.accessorBlock, !isObserved(accessors) { continue }   // computed
                if isLet && binding.initializer != nil { continue }
                guard let pattern = binding.pattern.as(IdentifierPatternSyntax.self) else {
                    diagnose(Diagnostic(node: binding.pattern, message: MacroDiagnostic(
                        "payloadPattern", "an @EventPayload struct's properties are declared one name at a time")))
                    continue
                }
                guard let annotation = binding.typeAnnotation else {
                    diagnose(Diagnostic(node: binding.pattern, message: MacroDiagnostic(
                        "payloadType", "write the type of \(pattern.identifier.text) (an @EventPayload member needs one)")))
                    continue
                }
                let codeName = pattern.identifier.text
                let type = annotation.type.trimmedDescription
                members.append(PayloadMember(
                    codeName: codeName, key: String(codeName.filter { $0 != "`" }), type: type,
                    isOptional: isOptionalType(annotation.type)))
            }
        }
        return members
    }

    private static func isObserved(_ accessors: AccessorBlockSyntax) -> Bool {
        guard case .accessors(let list) = accessors.accessors else { return false }
        return list.allSatisfy { [.keyword(.willSet), .keyword(.didSet)].contains($0.accessorSpecifier.tokenKind) }
    }

    private static func isOptionalType(_ type: TypeSyntax) -> Bool {
        if type.is(OptionalTypeSyntax.self) { return true }
        if let named = type.as(IdentifierTypeSyntax.self), named.name.text == "Optional", named.genericArgumentClause != nil { return true }
        return false
    }
}
