import SwiftDiagnostics
import SwiftSyntax

/// One method of a controller class that handles an event, as `@SocketNamespace` reads it.
struct ControllerMethod {
    /// The event's name on the wire.
    let event: String
    /// The Swift name of the method.
    let methodName: String
    /// The name of the generated `Event` case.
    let caseName: String
    /// The declaration, for diagnostics.
    let declaration: FunctionDeclSyntax

    /// The base class's lifecycle methods: they are not events.
    static let lifecycleMethods: Set<String> = ["on_connect", "on_disconnect", "on_unhandled", "on_error"]

    /// What a parameter may be, said in every diagnostic about parameters.
    static let allowedParameters = "parameters must be EventArgument types (Int, Double, Bool, String, UInt8, arrays, "
        + "[String: T] dictionaries, optionals, JSONValue, JSONObject, [UInt8] for binary data, or a Decodable type "
        + "declared EventArgument)"

    /// What a method may return, said in every diagnostic about return types.
    static let allowedResults = "the return type must be Void or an AckConvertible type (JSONValue, JSONObject, String, "
        + "Int, Double, Bool, [UInt8], arrays and optionals of these, AckArguments for several ack values, or an "
        + "Encodable type declared AckConvertible)"

    /// The name given by an `@Event("...")` attribute, if it is a plain string literal.
    static func explicitName(_ attribute: AttributeSyntax) -> String? {
        guard case .argumentList(let arguments)? = attribute.arguments, arguments.count == 1,
              let literal = arguments.first?.expression.as(StringLiteralExprSyntax.self),
              literal.segments.count == 1, case .stringSegment(let segment)? = literal.segments.first
        else { return nil }
        return segment.content.text
    }

    /// The `@Event` attribute of a declaration, if any.
    static func eventAttribute(of function: FunctionDeclSyntax) -> AttributeSyntax? {
        for element in function.attributes {
            if case .attribute(let attribute) = element, attribute.attributeName.trimmedDescription == "Event" {
                return attribute
            }
        }
        return nil
    }

    /// Reads a method: `nil` when it is not an event handler; diagnoses handlers whose
    /// signature cannot be registered.
    static func read(_ function: FunctionDeclSyntax, diagnose: (Diagnostic) -> Void) -> ControllerMethod? {
        let methodName = function.name.text.trimmingBackticks
        let attribute = eventAttribute(of: function)
        let attributeCount = function.attributes.filter {
            if case .attribute(let attribute) = $0 { attribute.attributeName.trimmedDescription == "Event" } else { false }
        }.count
        if attributeCount > 1 {
            diagnose(Diagnostic(node: function.name, message: MacroDiagnostic(
                "repeatedEventAttribute", "\(methodName) has \(attributeCount) @Event attributes; a method handles one event")))
            return nil
        }
        var event: String
        if let attribute {
            guard let name = explicitName(attribute) else { return nil }  // reported by @Event itself
            event = name
        } else {
            guard methodName.hasPrefix("on_"), methodName.count > 3, !lifecycleMethods.contains(methodName) else { return nil }
            guard !function.modifiers.contains(where: { $0.name.tokenKind == .keyword(.override) }) else { return nil }
            event = String(methodName.dropFirst(3))
        }
        if event.isEmpty {
            diagnose(Diagnostic(node: function.name, message: MacroDiagnostic("emptyEvent", "an event name cannot be empty")))
            return nil
        }
        guard isValid(function, diagnose: diagnose) else { return nil }
        let base = methodName.hasPrefix("on_") && methodName.count > 3 ? String(methodName.dropFirst(3)) : methodName
        return ControllerMethod(event: event, methodName: methodName, caseName: base, declaration: function)
    }

    private static func isValid(_ function: FunctionDeclSyntax, diagnose: (Diagnostic) -> Void) -> Bool {
        var valid = true
        func fail(_ node: some SyntaxProtocol, _ id: String, _ message: String) {
            diagnose(Diagnostic(node: node, message: MacroDiagnostic(id, message)))
            valid = false
        }
        let name = function.name.text
        if function.modifiers.contains(where: { $0.name.tokenKind == .keyword(.static) || $0.name.tokenKind == .keyword(.class) }) {
            fail(function.name, "staticHandler", "\(name) handles an event, so it must be an instance method (one instance serves each socket)")
        }
        if let generics = function.genericParameterClause {
            fail(generics, "genericHandler", "\(name) cannot be generic: the event's arguments are decoded into concrete types; \(allowedParameters)")
        }
        for parameter in function.signature.parameterClause.parameters {
            if parameter.ellipsis != nil {
                fail(parameter, "variadicParameter", "variadic parameters are not supported (take an array, or JSONValue for raw arguments); \(allowedParameters)")
            } else if let problem = unsupported(parameter.type) {
                fail(parameter.type, "unsupportedParameter", "a parameter cannot be \(problem); \(allowedParameters)")
            }
        }
        if let result = function.signature.returnClause?.type, let problem = unsupported(result, isResult: true) {
            fail(result, "unsupportedResult", "\(name) cannot return \(problem); \(allowedResults)")
        }
        return valid
    }

    /// Why a type cannot cross the wire, or `nil` when it may (the compiler checks the
    /// protocol conformance of named types).
    private static func unsupported(_ type: TypeSyntax, isResult: Bool = false) -> String? {
        if let attributed = type.as(AttributedTypeSyntax.self) {
            for specifier in attributed.specifiers {
                if case .simpleTypeSpecifier(let simple) = specifier, simple.specifier.tokenKind == .keyword(.inout) {
                    return "inout"
                }
            }
            return unsupported(attributed.baseType, isResult: isResult)
        }
        if type.is(FunctionTypeSyntax.self) { return "a function" }
        if let someOrAny = type.as(SomeOrAnyTypeSyntax.self) {
            return "an opaque or existential type (\(someOrAny.someOrAnySpecifier.text) ...)"
        }
        if let tuple = type.as(TupleTypeSyntax.self) {
            if tuple.elements.isEmpty && isResult { return nil }
            if tuple.elements.count == 1, let only = tuple.elements.first { return unsupported(only.type, isResult: isResult) }
            return isResult ? "a tuple (return AckArguments for several ack values)" : "a tuple"
        }
        if type.is(MetatypeTypeSyntax.self) { return "a metatype" }
        if let optional = type.as(OptionalTypeSyntax.self) { return unsupported(optional.wrappedType, isResult: isResult) }
        if let array = type.as(ArrayTypeSyntax.self) { return unsupported(array.element) }
        if let dictionary = type.as(DictionaryTypeSyntax.self) {
            if dictionary.key.trimmedDescription != "String" { return "a dictionary keyed by \(dictionary.key.trimmedDescription) (keys must be String)" }
            return unsupported(dictionary.value)
        }
        return nil
    }
}

extension String {
    /// The identifier without the backticks that escape a keyword.
    var trimmingBackticks: String {
        hasPrefix("`") && hasSuffix("`") && count >= 2 ? String(dropFirst().dropLast()) : self
    }
}
