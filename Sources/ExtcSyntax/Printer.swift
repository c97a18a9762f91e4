/// The canonical form of a file (`extc fmt`).
///
/// Rules: two-space indentation; one entry per line, except blocks written on one line that hold
/// no comments, which stay on one line as `{ a; b }`; within a run of consecutive block-less entries
/// (a run ends at a blank line or an entry with a block) values start in one column, one space past
/// the longest name, and trailing comments line up one space past the longest line; runs of blank
/// lines fold to one; every comment is kept; tokens are reprinted exactly as written.
///
/// Invariants (tested on every sample and fixture): `format(parse(format(x))) == format(x)`, and
/// `parse(format(x))` has the same tree as `parse(x)`.
public enum Printer {
    public static func format(_ syntax: FileSyntax) -> String {
        var out = ""
        printEntries(syntax.entries, indent: "", into: &out)
        printTrivia(syntax.trailing, indent: "", into: &out)
        return out
    }

    private static func printTrivia(_ trivia: [Trivia], indent: String, into out: inout String) {
        for t in trivia {
            switch t {
            case .blank: out += "\n"
            case .comment(let c): out += indent + c + "\n"
            }
        }
    }

    private static func printEntries(_ entries: [Entry], indent: String, into out: inout String) {
        for run in runs(entries) {
            let aligned = run.filter { $0.block == nil && !$0.args.isEmpty }
            let width = aligned.map(\.head.raw.count).max() ?? 0
            let lines = run.map { line($0, indent: indent, width: $0.block == nil ? width : 0) }
            let commented = zip(run, lines).filter { $0.0.trailingComment != nil && !$0.1.contains("\n") }
            let commentColumn = (commented.map { $0.1.count }.max() ?? 0) + 1
            for (entry, text) in zip(run, lines) {
                printTrivia(entry.leading, indent: indent, into: &out)
                out += text
                if let c = entry.trailingComment {
                    let lastLine = text.split(separator: "\n", omittingEmptySubsequences: false).last ?? ""
                    let pad = text.contains("\n") ? 1 : max(1, commentColumn - lastLine.count)
                    out += String(repeating: " ", count: pad) + c
                }
                out += "\n"
            }
        }
    }

    /// Splits entries into alignment runs.
    private static func runs(_ entries: [Entry]) -> [[Entry]] {
        var runs: [[Entry]] = []
        var current: [Entry] = []
        for e in entries {
            let breaks = e.leading.contains(.blank) || e.block != nil
            if breaks, !current.isEmpty { runs.append(current); current = [] }
            current.append(e)
            if e.block != nil { runs.append(current); current = [] }
        }
        if !current.isEmpty { runs.append(current) }
        return runs
    }

    /// One entry without its leading trivia or trailing comment; multi-line when its block is.
    private static func line(_ e: Entry, indent: String, width: Int) -> String {
        var s = indent + e.head.raw
        if !e.args.isEmpty {
            s += String(repeating: " ", count: max(1, width - e.head.raw.count + 1))
            s += e.args.map(\.raw).joined(separator: " ")
        }
        if let b = e.block { s += " " + block(b, indent: indent) }
        return s
    }

    private static func block(_ b: Block, indent: String) -> String {
        if b.entries.isEmpty, b.trailing.isEmpty, b.openComment == nil { return "{}" }
        if isInline(b) {
            return "{ " + b.entries.map { line($0, indent: "", width: 0) }.joined(separator: "; ") + " }"
        }
        var s = "{"
        if let c = b.openComment { s += " " + c }
        s += "\n"
        printEntries(b.entries, indent: indent + "  ", into: &s)
        printTrivia(b.trailing, indent: indent + "  ", into: &s)
        return s + indent + "}"
    }

    /// A block stays on one line when it was written so and holds nothing that needs a line.
    private static func isInline(_ b: Block) -> Bool {
        b.singleLine && b.trailing.isEmpty
            && b.entries.allSatisfy { e in
                e.leading.isEmpty && e.trailingComment == nil && (e.block.map(isInline) ?? true)
            }
    }
}

extension FileSyntax {
    /// A span-free rendering of the tree, for comparing two parses (fmt round trips, fuzzing).
    public var dump: String {
        var out = ""
        Self.dump(entries, depth: 0, into: &out)
        for t in trailing { out += "\(t)\n" }
        return out
    }

    private static func dump(_ entries: [Entry], depth: Int, into out: inout String) {
        let pad = String(repeating: "  ", count: depth)
        for e in entries {
            for t in e.leading { out += pad + "\(t)\n" }
            out += pad + ([e.head] + e.args).map { "\($0.kind):\($0.text.debugDescription)" }.joined(separator: " ")
            if let c = e.trailingComment { out += " trailing:\(c.debugDescription)" }
            out += "\n"
            if let b = e.block {
                out += pad + "{" + (b.openComment.map { " open:\($0.debugDescription)" } ?? "") + "\n"
                dump(b.entries, depth: depth + 1, into: &out)
                for t in b.trailing { out += pad + "  \(t)\n" }
                out += pad + "}\n"
            }
        }
    }
}
