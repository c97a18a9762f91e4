/// Recursive-descent parser over the lexer's tokens.
///
/// It never stops at the first error: each error is reported once, the parser resynchronises at the
/// next line end, and parsing goes on, so every independent error in a file is reported in source
/// order. Nesting is bounded (`maxDepth`), so no input can exhaust the stack. Linear time.
public struct Parser {
    public static let maxDepth = 16

    private let file: SourceFile
    private let tokens: [Token]
    private var i = 0
    private var depth = 0
    /// Blocks whose `}` was indented like an outer block's (see `block`).
    private var suspects: [(open: Span, close: Span)] = []
    private var diagnostics: [Diagnostic]

    public static func parse(_ file: SourceFile) -> (syntax: FileSyntax, diagnostics: [Diagnostic]) {
        let (tokens, lexDiagnostics) = Lexer.tokenize(file)
        if let yaml = yamlManifest(file, tokens) { return (FileSyntax(file: file, entries: [], trailing: []), [yaml]) }
        var p = Parser(file: file, tokens: tokens, diagnostics: lexDiagnostics)
        let (entries, trailing) = p.entries(inBlock: nil)
        return (FileSyntax(file: file, entries: entries, trailing: trailing), p.diagnostics.sortedBySource())
    }

    /// A YAML document given as a spec (`---`, or `key:` as the first word) gets one message,
    /// not one per line.
    private static func yamlManifest(_ file: SourceFile, _ tokens: [Token]) -> Diagnostic? {
        guard let first = tokens.first(where: { $0.kind != .newline && $0.kind != .comment }), first.kind == .word else { return nil }
        let text = String(decoding: file.bytes[first.start..<first.end], as: UTF8.self)
        guard text == "---" || (text.hasSuffix(":") && text.count > 1) else { return nil }
        return Diagnostic(.unexpectedToken, "this looks like YAML (a Kubernetes manifest), not an extc spec", at: Span(file: file, start: first.start, end: first.end),
                          note: "YAML starts here", help: "extc reads *.ext specs and writes the YAML; `extc init` writes a first spec")
    }

    private init(file: SourceFile, tokens: [Token], diagnostics: [Diagnostic]) {
        self.file = file
        self.tokens = tokens
        self.diagnostics = diagnostics
    }

    private var tok: Token { tokens[i] }

    private mutating func advance() { if tokens[i].kind != .eof { i += 1 } }

    private func span(_ t: Token) -> Span { Span(file: file, start: t.start, end: t.end) }

    private func text(_ t: Token) -> String { file.text(t.start..<t.end) }

    // MARK: Entries

    /// Entries up to `}` (in a block opened at `open`) or EOF (at top level), with the trivia after
    /// the last one. Stops *at* the `}` without consuming it.
    private mutating func entries(inBlock open: Span?) -> ([Entry], [Trivia]) {
        var entries: [Entry] = []
        var pending: [Trivia] = []
        var newlines = 0
        while true {
            switch tok.kind {
            case .eof:
                return (entries, trimBlanks(pending))
            case .rbrace:
                if open != nil { return (entries, trimBlanks(pending)) }
                report(.unmatchedBrace, "unmatched `}`", span(tok), note: "closes no block",
                       help: "remove it, or add the `{` it was meant to close")
                advance()
            case .newline:
                newlines += 1
                if newlines == 2, !(entries.isEmpty && pending.isEmpty), pending.last != .blank {
                    pending.append(.blank)
                }
                advance()
            case .semicolon, .invalid:
                advance()
            case .comment:
                pending.append(.comment(text(tok)))
                newlines = 0
                advance()
            case .lbrace:
                // `certs` then `{` on the next line (Allman style): the block belongs on the entry's line.
                let previous = entries.last.flatMap { e in e.block == nil && newlines == 1 ? e : nil }
                report(.unexpectedToken, "expected a name before `{`", span(tok), note: "block without a name",
                       labels: previous.map { [Label($0.span, "this entry ends at its line's end")] } ?? [],
                       help: previous.map { "a block starts on its entry's line: `\($0.head.text) {`" } ?? "a block belongs to an entry: `certs { ... }`")
                _ = block()
                newlines = 0
            case .word, .string:
                if open != nil, startsServer, depth >= 1 {
                    return (entries, trimBlanks(pending))  // resynchronise: the enclosing block is unclosed
                }
                entries.append(entry(leading: pending))
                pending = []
                newlines = 0
            }
        }
    }

    /// `apiserver NAME {` ahead: only a new server looks like that (a label key `apiserver`, say
    /// `apiserver "true"` in a selector, does not), so the enclosing block must be unclosed.
    private var startsServer: Bool {
        guard tok.kind == .word, text(tok) == "apiserver", i + 2 < tokens.count else { return false }
        return tokens[i + 1].kind == .word && tokens[i + 2].kind == .lbrace
    }

    private func trimBlanks(_ t: [Trivia]) -> [Trivia] {
        var t = t
        while t.last == .blank { t.removeLast() }
        return t
    }

    private mutating func entry(leading: [Trivia]) -> Entry {
        let head = value()
        var args: [Value] = []
        var last = head.span
        while tok.kind == .word || tok.kind == .string || tok.kind == .invalid {
            if tok.kind == .invalid { advance(); continue }
            let v = value()
            args.append(v)
            last = v.span
        }
        var blk: Block? = nil
        if tok.kind == .lbrace {
            let b = block()
            blk = b
            last = b.close ?? b.open
            if b.close == nil {  // unclosed: already reported; what follows belongs to the next entry
                return Entry(leading: leading, head: head, args: args, block: blk, trailingComment: nil, span: head.span.to(last))
            }
        }
        var trailing: String? = nil
        if tok.kind == .comment {
            trailing = text(tok)
            advance()
        }
        expectEnd(after: last)
        return Entry(leading: leading, head: head, args: args, block: blk, trailingComment: trailing,
                     span: head.span.to(last))
    }

    /// An entry ends at a newline, `;`, `}` or EOF. Anything else is reported once and skipped.
    private mutating func expectEnd(after last: Span) {
        switch tok.kind {
        case .newline, .semicolon, .rbrace, .eof: return
        default: break
        }
        let what = tok.kind == .lbrace ? "`{`" : "`\(text(tok))`"
        report(.unexpectedToken, "unexpected \(what) after a block", span(tok), note: "expected a new line or `;`",
               labels: [Label(last, "the entry ends here")], help: "start the next entry on its own line")
        var nesting = 0
        while true {
            switch tok.kind {
            case .eof: return
            case .newline, .semicolon: if nesting == 0 { return }
            case .lbrace: nesting += 1
            case .rbrace: if nesting == 0 { return }; nesting -= 1
            default: break
            }
            advance()
        }
    }

    private mutating func value() -> Value {
        let t = tok
        advance()
        let raw = text(t)
        if t.kind == .string { return Value(kind: .string, raw: raw, text: Parser.unquote(raw), span: span(t)) }
        return Value(kind: .word, raw: raw, text: raw, span: span(t))
    }

    // MARK: Blocks

    private mutating func block() -> Block {
        let open = span(tok)
        advance()
        if depth >= Parser.maxDepth { return skipTooDeep(open) }
        depth += 1
        defer { depth -= 1 }
        var openComment: String? = nil
        if tok.kind == .comment {
            openComment = text(tok)
            advance()
        }
        let (entries, trailing) = entries(inBlock: open)
        var close: Span? = nil
        if tok.kind == .rbrace {
            close = span(tok)
            // A `}` on its own line, indented less than the line its `{` is on, most likely belongs
            // to an outer block: if a block stays unclosed, this `{` is the probable culprit.
            if let c = close, file.line(of: c.start) != file.line(of: open.start), startsLine(c.start), indent(c.start) < indent(open.start) {
                suspects.append((open, c))
            }
            advance()
        } else {
            reportUnclosed(open)
        }
        let single = close.map { file.line(of: $0.start) == file.line(of: open.start) } ?? false
        return Block(open: open, close: close, openComment: openComment, entries: entries,
                     trailing: trailing, singleLine: single && openComment == nil)
    }

    private mutating func reportUnclosed(_ open: Span) {
        var labels: [Label] = []
        if tok.kind != .eof { labels.append(Label(span(tok), "the next `apiserver` starts here")) }
        // By indentation, as rustc does: blame the inner `{` whose `}` lines up with an outer block.
        if let s = suspects.last(where: { $0.open.start > open.start }) {
            suspects.removeAll { $0.open.start > open.start }
            report(.unclosedBlock, "unclosed block", s.open, note: "this `{` is probably never closed",
                   labels: [Label(s.close, "this `}` is indented like an outer block"), Label(open, "so this block is left open")] + labels,
                   help: "add `}` where the block that starts here ends")
            return
        }
        report(.unclosedBlock, "unclosed block", open, note: "this `{` is never closed", labels: labels,
               help: "add `}` where the block ends")
    }

    /// Blanks before `offset` on its line.
    private func indent(_ offset: Int) -> Int {
        let start = file.lineRange(file.line(of: offset)).lowerBound
        return file.bytes[start..<offset].prefix { $0 == 0x20 || $0 == 0x09 }.count
    }

    /// Only blanks come before `offset` on its line.
    private func startsLine(_ offset: Int) -> Bool { indent(offset) == offset - file.lineRange(file.line(of: offset)).lowerBound }

    /// Past the depth limit: report once, then skip to the matching `}` without recursing.
    private mutating func skipTooDeep(_ open: Span) -> Block {
        report(.nestingTooDeep, "blocks nested more than \(Parser.maxDepth) deep", open,
               note: "too deep", help: "check that braces are balanced")
        var nesting = 1
        var close: Span? = nil
        while tok.kind != .eof {
            if tok.kind == .lbrace { nesting += 1 }
            if tok.kind == .rbrace {
                nesting -= 1
                if nesting == 0 { close = span(tok); advance(); break }
            }
            advance()
        }
        return Block(open: open, close: close, openComment: nil, entries: [], trailing: [], singleLine: false)
    }

    // MARK: Helpers

    /// The value of a string token's source text; tolerates a missing closing quote and bad escapes
    /// (the lexer reported both).
    public static func unquote(_ raw: String) -> String {
        var out = ""
        var it = raw.unicodeScalars.dropFirst().makeIterator()
        while let c = it.next() {
            if c == "\"" { break }  // the closing quote: inner quotes are always escaped
            guard c == "\\" else { out.unicodeScalars.append(c); continue }
            guard let e = it.next() else { break }
            switch e {
            case "n": out += "\n"
            case "t": out += "\t"
            default: out.unicodeScalars.append(e)
            }
        }
        return out
    }

    private mutating func report(_ code: DiagnosticCode, _ message: String, _ span: Span, note: String,
                                 labels: [Label] = [], help: String) {
        diagnostics.append(Diagnostic(code, message, at: span, note: note, labels: labels, help: help))
    }
}
