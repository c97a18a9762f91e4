import ExtcSyntax

/// What a field of a block accepts.
struct FieldSpec {
    enum BlockRule { case none, required, optional }

    let name: String
    let values: ClosedRange<Int>
    let block: BlockRule
    /// May appear more than once (each occurrence is kept).
    let repeatable: Bool

    init(_ name: String, values: ClosedRange<Int> = 1...1, block: BlockRule = .none, repeatable: Bool = false) {
        self.name = name
        self.values = values
        self.block = block
        self.repeatable = repeatable
    }
}

/// The entries of one block sorted into its fields, with unknown, duplicate and malformed fields
/// reported. A malformed field counts as present (so it is not also reported missing) but is not
/// handed to the checker.
struct Fields {
    private var first: [String: Entry] = [:]
    private var all: [String: [Entry]] = [:]
    private var present: Set<String> = []
    let owner: Span

    init(_ entries: [Entry], in context: String, owner: Span, specs: [FieldSpec], diagnostics: inout DiagnosticBag) {
        self.owner = owner
        let byName = Dictionary(specs.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let names = specs.map(\.name)
        for e in entries {
            let name = e.head.text
            guard let spec = byName[name] else {
                diagnostics.add(Diagnostic(.unknownField, "unknown field `\(name)` in \(context)", at: e.head.span,
                                           note: "not a field of \(context)",
                                           help: Suggest.help(for: name, in: names) ?? "fields here: \(names.joined(separator: ", "))"))
                continue
            }
            if !spec.repeatable, let earlier = first[name] {
                diagnostics.add(Diagnostic(.duplicateField, "`\(name)` is given twice in \(context)", at: e.head.span,
                                           note: "given again here", labels: [Label(earlier.head.span, "first given here")],
                                           help: spec.values.upperBound == Int.max ? "list every value on one line: `\(name) a b c`" : "keep one of them"))
                continue
            }
            present.insert(name)
            guard Fields.validate(e, spec, diagnostics: &diagnostics) else { continue }
            if first[name] == nil { first[name] = e }
            all[name, default: []].append(e)
        }
    }

    private static func validate(_ e: Entry, _ spec: FieldSpec, diagnostics: inout DiagnosticBag) -> Bool {
        let n = e.args.count
        if !spec.values.contains(n) {
            let want = spec.values.lowerBound == spec.values.upperBound ? "\(spec.values.lowerBound) value\(spec.values.lowerBound == 1 ? "" : "s")"
                : spec.values.upperBound == Int.max ? "at least \(spec.values.lowerBound) value\(spec.values.lowerBound == 1 ? "" : "s")"
                : "\(spec.values.lowerBound) to \(spec.values.upperBound) values"
            let span = n > spec.values.upperBound ? e.args[spec.values.upperBound].span.to(e.args.last!.span) : e.head.span
            diagnostics.add(Diagnostic(.wrongArity, "`\(spec.name)` takes \(want), found \(n)", at: span,
                                       note: n > spec.values.upperBound ? "extra values" : "value missing",
                                       help: n > spec.values.upperBound && spec.values.upperBound == 1 ? "quote a value that contains spaces: \"a b\"" : nil))
            return false
        }
        switch (spec.block, e.block) {
        case (.none, .some(let b)):
            diagnostics.add(Diagnostic(.blockMismatch, "`\(spec.name)` takes no block", at: b.open,
                                       note: "unexpected block", help: "remove the `{ ... }`"))
            return false
        case (.required, .none):
            diagnostics.add(Diagnostic(.blockMismatch, "`\(spec.name)` needs a block", at: e.head.span,
                                       note: "no `{ ... }` follows", help: "add a block: `\(spec.name) \(spec.values.lowerBound > 0 ? "... " : ""){ ... }`"))
            return false
        default:
            return true
        }
    }

    func has(_ name: String) -> Bool { present.contains(name) }

    subscript(_ name: String) -> Entry? { first[name] }

    func every(_ name: String) -> [Entry] { all[name] ?? [] }

    /// Reports a required field that is absent.
    func require(_ name: String, in context: String, example: String, diagnostics: inout DiagnosticBag) {
        guard !has(name) else { return }
        diagnostics.add(Diagnostic(.missingField, "\(context) has no `\(name)`", at: owner, note: "`\(name)` is required",
                                   help: "add `\(example)`"))
    }
}
