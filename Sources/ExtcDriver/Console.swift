import ExtcSyntax
#if canImport(Glibc)
import Glibc
#endif

public enum DiagnosticsFormat: String, Sendable, CaseIterable {
    case human
    case json
    /// GitHub Actions workflow commands (`::error file=...,line=...,col=...::message`), which
    /// annotate the pull request's lines.
    case github
    /// One SARIF 2.1.0 log, printed when the run ends (for code scanning).
    case sarif
}

/// Writes to the standard streams. Diagnostics, notes and status lines go to stderr; only the
/// product (YAML, formatted specs, diffs, explanations) goes to stdout.
public struct Console: Sendable {
    public var format: DiagnosticsFormat
    public var color: Bool

    public init(format: DiagnosticsFormat = .human, color: Bool = false) {
        self.format = format
        self.color = color
    }

    /// Colour when asked, or when stderr is a terminal and NO_COLOR is unset.
    public static func wantsColor(_ choice: String) -> Bool {
        switch choice {
        case "always": return true
        case "never": return false
        default:
            // NO_COLOR counts when set to something (no-color.org); an empty value is unset.
            let noColor = getenv("NO_COLOR").map { $0.pointee != 0 } ?? false
            return isatty(2) == 1 && !noColor
        }
    }

    public static var stdoutIsTerminal: Bool { isatty(1) == 1 }

    /// Writes the product; a failure is remembered (`stdoutFailure`) and ends the run with 74.
    public static func out(_ s: String) {
        if !write(1, s), stdoutFailure == nil { stdoutFailure = String(cString: strerror(errno)) }
    }

    /// Why stdout could not be written, if it could not.
    nonisolated(unsafe) public private(set) static var stdoutFailure: String?

    public static func err(_ s: String) { _ = write(2, s) }

    /// Every byte, or false (errno says why): a product written to stdout checks it.
    static func write(_ fd: Int32, _ s: String) -> Bool { FileIO.writeAll(fd, Array(s.utf8)[...]) }

    /// At most this many diagnostics are printed per report; a count of the rest follows, so a
    /// file of garbage gives a screenful, not megabytes.
    public static let maxDiagnostics = 100

    public func report(_ diagnostics: [Diagnostic]) {
        if format == .sarif { SARIFLog.start() }
        let shown = diagnostics.prefix(Self.maxDiagnostics), hidden = diagnostics.count - shown.count
        switch format {
        case .json:
            for d in shown { Console.err(DiagnosticJSON.render(d) + "\n") }
        case .github:
            // Workflow commands are read from stdout or stderr alike; stderr keeps stdout the product's.
            for d in shown { Console.err(GitHubAnnotation.render(d) + "\n") }
        case .sarif:
            SARIFLog.start()
            SARIFLog.results += diagnostics  // a log file holds them all
        case .human:
            let renderer = DiagnosticRenderer(color: color)
            for d in shown { Console.err(renderer.render(d) + "\n") }
            if hidden > 0 { Console.err("note: \(hidden) more diagnostic\(hidden == 1 ? "" : "s") not shown (the first \(Self.maxDiagnostics) are above)\n") }
        }
    }

    /// "2 errors, 1 warning" after a human report with findings.
    public func summary(_ diagnostics: [Diagnostic]) {
        guard format == .human, !diagnostics.isEmpty else { return }
        Console.err(Console.counts(diagnostics) + "\n")
    }

    public static func counts(_ ds: [Diagnostic]) -> String {
        let e = ds.filter(\.isError).count, w = ds.count - e
        return "\(e) error\(e == 1 ? "" : "s"), \(w) warning\(w == 1 ? "" : "s")"
    }

    public func note(_ s: String) {
        if format == .human { Console.err("note: \(s)\n") }
    }

    public func error(_ s: String) { message(s, severity: "error", color: "1;31") }

    /// A warning about the run, not about a place in a spec (those are diagnostics).
    public func warning(_ s: String) { message(s, severity: "warning", color: "1;33") }

    private func message(_ s: String, severity: String, color code: String) {
        switch format {
        case .human: Console.err((color ? "\u{1B}[\(code)m\(severity)\u{1B}[0m" : severity) + ": \(s)\n")
        case .json: Console.err(JSONText.object([("severity", JSONText.quote(severity)), ("message", JSONText.quote(s))]) + "\n")
        case .github: Console.err("::\(severity)::\(GitHubAnnotation.escape(s, property: false))\n")
        case .sarif: SARIFLog.start(); SARIFLog.notifications.append((severity, s))
        }
    }
}

/// Calendar fields as zero-padded text: `dateText` "2026-11-23", `timeText` "12:00:01".
extension tm {
    var dateText: String { "\(tm_year + 1900)-\(Self.two(tm_mon + 1))-\(Self.two(tm_mday))" }
    var timeText: String { "\(Self.two(tm_hour)):\(Self.two(tm_min)):\(Self.two(tm_sec))" }

    private static func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
}

/// One diagnostic as a GitHub Actions workflow command.
public enum GitHubAnnotation {
    public static func render(_ d: Diagnostic) -> String {
        let start = d.span.file.location(of: d.span.start), end = d.span.file.location(of: max(d.span.start, d.span.end))
        let level = d.severity == .error ? "error" : "warning"
        let properties = [("file", d.span.file.path), ("line", String(start.line)), ("col", String(start.column)),
                          ("endLine", String(end.line)), ("endColumn", String(end.column)), ("title", "extc \(d.code.rawValue)")]
            .map { "\($0.0)=\(escape($0.1, property: true))" }.joined(separator: ",")
        let text = d.message + (d.help.map { "\nhelp: \($0)" } ?? "")
        return "::\(level) \(properties)::\(escape(text, property: false))"
    }

    /// GitHub's escaping: `%`, CR and LF always; `:` and `,` too in properties.
    static func escape(_ s: String, property: Bool) -> String {
        var out = ""
        for c in s {
            switch c {
            case "%": out += "%25"
            case "\r": out += "%0D"
            case "\n": out += "%0A"
            case ":" where property: out += "%3A"
            case "," where property: out += "%2C"
            default: out.append(c)
            }
        }
        return out
    }
}
