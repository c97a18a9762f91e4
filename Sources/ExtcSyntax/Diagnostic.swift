public enum Severity: String, Sendable, Comparable {
    case warning
    case error

    public static func < (a: Severity, b: Severity) -> Bool { a == .warning && b == .error }
}

/// A secondary location with its own message ("first defined here").
public struct Label: Sendable {
    public let span: Span
    public let message: String

    public init(_ span: Span, _ message: String) {
        self.span = span
        self.message = message
    }
}

/// One finding about the input. The primary span is where the caret goes.
public struct Diagnostic: Sendable {
    public let code: DiagnosticCode
    public let severity: Severity
    public let message: String
    public let span: Span
    /// The text under the primary caret; empty for none.
    public let note: String
    public let labels: [Label]
    public let help: String?
    /// A machine-applicable fix: replace the primary span with this text (a did-you-mean).
    public let replacement: String?

    public init(
        _ code: DiagnosticCode, _ message: String, at span: Span, note: String = "",
        labels: [Label] = [], help: String? = nil, replacement: String? = nil
    ) {
        self.code = code
        self.severity = code.severity
        self.message = message
        self.span = span
        self.note = note
        self.labels = labels
        self.help = help
        self.replacement = replacement
    }

    public var isError: Bool { severity == .error }
}

/// Collects diagnostics in the order they are found.
public struct DiagnosticBag: Sendable {
    public private(set) var items: [Diagnostic] = []

    public init() {}

    public mutating func add(_ d: Diagnostic) { items.append(d) }

    public mutating func add(contentsOf ds: [Diagnostic]) { items.append(contentsOf: ds) }

    public var hasErrors: Bool { items.contains { $0.isError } }
}

extension Array where Element == Diagnostic {
    /// Source order: file path, then byte offset, then code; stable for equal keys.
    public func sortedBySource() -> [Diagnostic] {
        enumerated().sorted { a, b in
            let (x, y) = (a.element, b.element)
            if x.span.file.path != y.span.file.path { return x.span.file.path < y.span.file.path }
            if x.span.start != y.span.start { return x.span.start < y.span.start }
            return a.offset < b.offset
        }.map(\.element)
    }
}
