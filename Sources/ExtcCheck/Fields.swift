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

/// A block's field specs with a name index, built once per kind of block (a static), not per block.
struct FieldTable {
    let specs: [FieldSpec]
    let names: [String]
    let index: [String: Int]

    init(_ specs: [FieldSpec]) {
        self.specs = specs
        names = specs.map(\.name)
        index = Dictionary(specs.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    }
}

/// The entries of one block sorted into its fields, with unknown, duplicate and malformed fields
/// reported. A malformed field counts as present (so it is not also reported missing) but is not
/// handed to the checker.
///
/// Invariant: `first[i]`, `all[i]` and `present[i]` describe `table.specs[i]`; `first` and `all`
/// hold indices into `entries`, so sorting a block copies no entry.
struct Fields {
    private let table: FieldTable
    private let entries: [Entry]
    private var first: [Int?]
    private var all: [[Int]]
    private var present: [Bool]
    /// The field each unknown name was probably meant to be (its did-you-mean).
    private var meant: Set<String> = []
    let owner: Span

    /// `context` ("apiserver `x`") is only rendered when a diagnostic needs it.
    init(_ entries: [Entry], in context: @autoclosure () -> String, owner: Span, table: FieldTable, diagnostics: inout DiagnosticBag) {
        self.table = table
        self.entries = entries
        self.owner = owner
        first = Array(repeating: nil, count: table.specs.count)
        all = Array(repeating: [], count: table.specs.count)
        present = Array(repeating: false, count: table.specs.count)
        for (n, e) in entries.enumerated() {
            let name = e.head.text
            guard let i = table.index[name] else {
                let where_ = context()
                // YAML and INI habits: `group: x` and `group=x` name a real field.
                let bare = name.hasSuffix(":") ? String(name.dropLast()) : String(name.prefix { $0 != "=" })
                let help: String
                var fix: String? = nil
                if bare != name, table.index[bare] != nil {
                    meant.insert(bare)
                    help = name.hasSuffix(":") ? "write `\(bare) VALUE`: a field and its values are separated by spaces, with no `:`"
                        : "write `\(bare) \(name.dropFirst(bare.count + 1))`: a space, not `=`, between a field and its value"
                    fix = name.hasSuffix(":") ? bare : "\(bare) \(name.dropFirst(bare.count + 1))"
                } else if let guess = Suggest.closest(to: name, in: table.names) {
                    meant.insert(guess)
                    fix = guess
                    help = Suggest.help(for: name, in: table.names)!
                } else if let home = Schema.blockHolding(name, other: table.names) {
                    // A field of another block, written at the wrong level.
                    help = "`\(name)` is a field of `\(home) { ... }`; move it into that block"
                } else {
                    help = "fields here: \(table.names.joined(separator: ", "))"
                }
                diagnostics.add(Diagnostic(.unknownField, "unknown field `\(name)` in \(where_)", at: e.head.span,
                                           note: "not a field of \(where_)", help: help, replacement: fix))
                continue
            }
            let spec = table.specs[i]
            if !spec.repeatable, let earlier = first[i] {
                diagnostics.add(Diagnostic(.duplicateField, "`\(name)` is given twice in \(context())", at: e.head.span,
                                           note: "given again here", labels: [Label(entries[earlier].head.span, "first given here")],
                                           help: spec.values.upperBound == Int.max ? "list every value on one line: `\(name) a b c`" : "keep one of them"))
                continue
            }
            present[i] = true
            guard Fields.validate(e, spec, table: table, diagnostics: &diagnostics) else { continue }
            if first[i] == nil { first[i] = n }
            all[i].append(n)
        }
    }

    /// A value after the first that is a field of this block: `versions v1 resource x { ... }`, two
    /// entries run together where a newline or `;` was lost.
    private static func runTogether(_ e: Entry, _ table: FieldTable) -> Value? {
        e.args.dropFirst().first { table.index[$0.text] != nil && $0.kind == .word }
    }

    private static func validate(_ e: Entry, _ spec: FieldSpec, table: FieldTable, diagnostics: inout DiagnosticBag) -> Bool {
        let n = e.args.count
        let lost = runTogether(e, table).map { "a newline or `;` is missing before `\($0.text)`, which starts a field of its own" }
        if spec.block == .none, let b = e.block, n == 0, spec.values.lowerBound >= 1 {
            // `versions { v1 v2 }`: values written as a block; say so, not "found 0 values".
            let words = b.entries.flatMap { [$0.head] + $0.args }.map(\.raw)
            diagnostics.add(Diagnostic(.blockMismatch, "`\(spec.name)` takes values, not a block", at: b.open, note: "a block of values",
                                       help: words.isEmpty ? "write `\(spec.name) VALUE`" : "write the values on the line: `\(spec.name) \(words.joined(separator: " "))`"))
            return false
        }
        if !spec.values.contains(n) {
            let want = spec.values.lowerBound == spec.values.upperBound ? "\(spec.values.lowerBound) value\(spec.values.lowerBound == 1 ? "" : "s")"
                : spec.values.upperBound == Int.max ? "at least \(spec.values.lowerBound) value\(spec.values.lowerBound == 1 ? "" : "s")"
                : "\(spec.values.lowerBound) to \(spec.values.upperBound) values"
            let span = n > spec.values.upperBound ? e.args[spec.values.upperBound].span.to(e.args.last!.span) : e.head.span
            diagnostics.add(Diagnostic(.wrongArity, "`\(spec.name)` takes \(want), found \(n)", at: span,
                                       note: n > spec.values.upperBound ? "extra values" : "value missing",
                                       help: lost ?? (n > spec.values.upperBound && spec.values.upperBound == 1 ? "quote a value that contains spaces: \"a b\"" : nil)))
            return false
        }
        switch (spec.block, e.block) {
        case (.none, .some(let b)):
            diagnostics.add(Diagnostic(.blockMismatch, "`\(spec.name)` takes no block", at: b.open, note: "unexpected block",
                                       help: lost ?? "remove the `{ ... }`"))
            return false
        case (.required, .none):
            diagnostics.add(Diagnostic(.blockMismatch, "`\(spec.name)` needs a block", at: e.head.span,
                                       note: "no `{ ... }` follows", help: "add a block: `\(spec.name) \(spec.values.lowerBound > 0 ? "... " : ""){ ... }`"))
            return false
        default:
            return true
        }
    }

    func has(_ name: String) -> Bool { slot(name).map { present[$0] } ?? false }

    subscript(_ name: String) -> Entry? { slot(name).flatMap { first[$0] }.map { entries[$0] } }

    func every(_ name: String) -> [Entry] { slot(name).map { all[$0].map { entries[$0] } } ?? [] }

    private func slot(_ name: String) -> Int? {
        let i = table.index[name]
        assert(i != nil, "`\(name)` is not a field of this block")  // a typo in the checker, not in a spec
        return i
    }

    /// Reports a required field that is absent, unless a misspelling of it was reported already
    /// (`version` for `versions`): the cause is shown, never its cascade.
    func require(_ name: String, in context: String, example: String, diagnostics: inout DiagnosticBag) {
        guard !has(name), !meant.contains(name) else { return }
        diagnostics.add(Diagnostic(.missingField, "\(context) has no `\(name)`", at: owner, note: "`\(name)` is required",
                                   help: "add `\(example)`"))
    }
}
