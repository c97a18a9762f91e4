/// Renders diagnostics for people:
///
///     spec.ext:3:3: error[E0101]: unknown field `grup` in `apiserver`
///       |
///     3 |   grup wardle.example.com
///       |   ^^^^ not a field of `apiserver`
///       |
///       = help: did you mean `group`?
///
/// Secondary labels are underlined with `-`, each under its own source line (from any file).
public struct DiagnosticRenderer: Sendable {
    public var color: Bool

    public init(color: Bool = false) { self.color = color }

    public func render(_ d: Diagnostic) -> String {
        let loc = d.span.file.location(of: d.span.start)
        let sev = d.severity == .error ? paint("error", "1;31") : paint("warning", "1;33")
        var out = "\(d.span.file.path):\(loc.line):\(loc.column): \(sev)\(paint("[\(d.code.rawValue)]", d.severity == .error ? "1;31" : "1;33")): \(paint(d.message, "1"))\n"
        // The primary file's snippets first, each file's in line order.
        let marks = ([(d.span, d.note, true)] + d.labels.map { ($0.span, $0.message, false) })
            .enumerated().sorted { a, b in
                let (x, y) = (a.element.0, b.element.0)
                let (xp, yp) = (x.file === d.span.file, y.file === d.span.file)
                if xp != yp { return xp }
                if x.file !== y.file { return x.file.path < y.file.path }
                return x.start != y.start ? x.start < y.start : a.offset < b.offset
            }.map(\.element)
        let width = String(marks.map { $0.0.file.line(of: $0.0.start) }.max() ?? 1).count
        let gutter = String(repeating: " ", count: width)
        out += paint("\(gutter) |", "1;34") + "\n"
        var previousFile = d.span.file
        var i = 0
        while i < marks.count {
            let (span, message, primary) = marks[i]
            if span.file !== previousFile {
                let l = span.file.location(of: span.start)
                out += paint("\(gutter) ::: ", "1;34") + "\(span.file.path):\(l.line):\(l.column)\n"
                previousFile = span.file
            }
            // Marks on one (short) line are drawn under it together, as rustc does.
            let line = span.file.line(of: span.start)
            var j = i + 1
            while j < marks.count, marks[j].0.file === span.file, span.file.line(of: marks[j].0.start) == line { j += 1 }
            if j - i > 1, span.file.lineText(line).unicodeScalars.count <= Self.maxLine {
                out += together(Array(marks[i..<j]), width: width)
            } else {
                for k in i..<j { out += snippet(marks[k].0, message: marks[k].1, primary: marks[k].2, width: width) }
            }
            i = j
            _ = (message, primary)
        }
        if let help = d.help {
            out += paint("\(gutter) |", "1;34") + "\n"
            out += paint("\(gutter) = ", "1;34") + paint("help", "1") + ": \(help)\n"
        }
        return out
    }

    public func render(_ ds: [Diagnostic]) -> String { ds.map(render).joined(separator: "\n") }

    /// Lines longer than this (in characters) are shown as an excerpt of `context` either side.
    static let maxLine = 160
    static let context = 60

    /// One source line with several marks under it (in column order): the last mark's message
    /// beside the underlines, each earlier one below, hanging from its mark.
    private func together(_ marks: [(Span, String, Bool)], width: Int) -> String {
        let file = marks[0].0.file, line = file.line(of: marks[0].0.start)
        let range = file.lineRange(line), text = file.lineText(line).replacingTabs()
        let placed = marks.map { span, message, primary -> (col: Int, len: Int, message: String, primary: Bool) in
            let start = file.location(of: max(range.lowerBound, min(span.start, range.upperBound))).column
            let end = file.location(of: min(max(span.end, span.start), range.upperBound)).column
            return (start, max(1, end - start), message, primary)
        }
        let bar = paint(String(repeating: " ", count: width) + " |", "1;34") + " "
        func row(_ cells: [(Int, String, Bool)]) -> String {
            var out = "", at = 1
            for (col, piece, primary) in cells where col >= at {
                out += String(repeating: " ", count: col - at) + paint(piece, primary ? "1;31" : "1;34")
                at = col + piece.unicodeScalars.count
            }
            return bar + out + "\n"
        }
        let number = String(line)
        var out = paint(String(repeating: " ", count: width - number.count) + "\(number) |", "1;34") + " " + text + "\n"
        var underline = placed.map { ($0.col, String(repeating: $0.primary ? "^" : "-", count: $0.len), $0.primary) }
        if let last = placed.last, !last.message.isEmpty { underline.append((last.col + last.len + 1, last.message, last.primary)) }
        out += row(underline)
        for k in stride(from: placed.count - 2, through: 0, by: -1) where !placed[k].message.isEmpty {
            out += row(placed[...k].map { ($0.col, "|", $0.primary) })
            out += row(placed[..<k].map { ($0.col, "|", $0.primary) } + [(placed[k].col, placed[k].message, placed[k].primary)])
        }
        return out
    }

    /// One source line with an underline under `span` (clipped to that line).
    private func snippet(_ span: Span, message: String, primary: Bool, width: Int) -> String {
        let file = span.file
        let line = file.line(of: span.start)
        let range = file.lineRange(line)
        let full = file.lineText(line).replacingTabs()
        let startCol = file.location(of: max(range.lowerBound, min(span.start, range.upperBound))).column
        let endOffset = min(max(span.end, span.start), range.upperBound)
        let endCol = file.location(of: endOffset).column
        var length = max(1, endCol - startCol)
        let number = String(line)
        let pad = String(repeating: " ", count: width - number.count)
        // A long line is shown as an excerpt around the span, so one diagnostic stays one screen.
        var (shown, caretColumn) = (full, startCol)
        let scalars = Array(full.unicodeScalars)
        if scalars.count > Self.maxLine {
            let from = max(0, startCol - 1 - Self.context), to = min(scalars.count, startCol - 1 + min(length, Self.context) + Self.context)
            length = min(length, to - (startCol - 1))
            shown = (from > 0 ? "…" : "") + String(String.UnicodeScalarView(scalars[from..<to])) + (to < scalars.count ? "…" : "")
            caretColumn = startCol - from + (from > 0 ? 1 : 0)
        }
        let mark = String(repeating: primary ? "^" : "-", count: max(1, length))
        let under = String(repeating: " ", count: caretColumn - 1) + mark + (message.isEmpty ? "" : " " + message)
        let text = shown
        return paint("\(pad)\(number) |", "1;34") + (text.isEmpty ? "" : " " + text) + "\n"
            + paint(String(repeating: " ", count: width) + " |", "1;34") + " "
            + paint(under, primary ? "1;31" : "1;34") + "\n"
    }

    private func paint(_ s: String, _ sgr: String) -> String {
        color ? "\u{1B}[\(sgr)m\(s)\u{1B}[0m" : s
    }
}

extension String {
    /// Tabs as single spaces, so caret columns (counted in scalars) line up.
    fileprivate func replacingTabs() -> String {
        String(String.UnicodeScalarView(unicodeScalars.map { $0 == "\t" ? " " : $0 }))
    }
}

/// Machine-readable diagnostics: one JSON object per line (JSON Lines).
public enum DiagnosticJSON {
    public static func render(_ d: Diagnostic) -> String {
        var fields: [(String, String)] = [
            ("file", JSONText.quote(d.span.file.path)),
            ("code", JSONText.quote(d.code.rawValue)),
            ("severity", JSONText.quote(d.severity.rawValue)),
            ("message", JSONText.quote(d.message)),
            ("range", range(d.span)),
        ]
        fields.append(("lspRange", lspRange(d.span)))
        if !d.note.isEmpty { fields.append(("note", JSONText.quote(d.note))) }
        if let h = d.help { fields.append(("help", JSONText.quote(h))) }
        if let r = d.replacement {
            fields.append(("fixes", "[" + JSONText.object([("range", lspRange(d.span)), ("newText", JSONText.quote(r))]) + "]"))
        }
        let labels = d.labels.map { l in
            JSONText.object([("file", JSONText.quote(l.span.file.path)), ("range", range(l.span)),
                             ("message", JSONText.quote(l.message))])
        }
        fields.append(("labels", "[" + labels.joined(separator: ",") + "]"))
        return JSONText.object(fields)
    }

    /// The Language Server Protocol's Range: zero-based lines, and characters counted in UTF-16
    /// code units from the line's start.
    static func lspRange(_ s: Span) -> String {
        func position(_ offset: Int) -> String {
            let line = s.file.line(of: offset), start = s.file.lineRange(line).lowerBound
            let prefix = String(decoding: s.file.bytes[start..<max(start, min(offset, s.file.bytes.count))], as: UTF8.self)
            return JSONText.object([("line", String(line - 1)), ("character", String(prefix.utf16.count))])
        }
        return JSONText.object([("start", position(s.start)), ("end", position(max(s.start, s.end)))])
    }

    private static func range(_ s: Span) -> String {
        func point(_ o: Int) -> String {
            let l = s.file.location(of: o)
            return JSONText.object([("offset", String(o)), ("line", String(l.line)), ("column", String(l.column))])
        }
        return JSONText.object([("start", point(s.start)), ("end", point(s.end))])
    }
}

/// Minimal JSON text helpers shared by every stage that writes JSON.
public enum JSONText {
    public static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    /// An object from already-encoded values, in the given key order.
    public static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { quote($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }
}
