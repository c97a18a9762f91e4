import ExtcDriver
import ExtcSyntax
import Foundation
import Testing

/// Error fixtures carry their expected diagnostics inline, on the line of the offending token:
///
///     grup wardle.example.com #~ E0101 unknown field `grup`
///
/// Each `#~ CODE [message text]` expects one diagnostic with that code whose primary span starts on
/// that line and whose message contains the text. The harness reports expectations nobody met and
/// diagnostics nobody expected. A directory of fixtures is built as one multi-file build.
struct Expectation: Equatable, CustomStringConvertible {
    let file: String
    let line: Int
    let code: String
    let message: String

    var description: String { "\(file):\(line): \(code) \(message)" }

    /// Scans raw lines (not tokens), so expectations work even inside an unterminated string.
    static func scan(_ path: String) -> [Expectation] {
        let lines = Paths.read(path).split(separator: "\n", omittingEmptySubsequences: false)
        var out: [Expectation] = []
        for (i, line) in lines.enumerated() {
            for part in line.components(separatedBy: "#~").dropFirst() {
                let words = part.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1)
                guard let code = words.first else { continue }
                out.append(Expectation(file: (path as NSString).lastPathComponent, line: i + 1, code: String(code),
                                       message: words.count > 1 ? String(words[1]).trimmingCharacters(in: .whitespaces) : ""))
            }
        }
        return out
    }
}

struct DiagnosticFixtureTests {
    static var cases: [String] {
        let dir = "\(Paths.fixtures)/errors"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return entries.sorted().map { "\(dir)/\($0)" }
    }

    static func inputs(_ fixture: String) -> [String] {
        FileIO.isDirectory(fixture) ? Paths.files(in: fixture, ext: "ext") : [fixture]
    }

    @Test("every error fixture gives exactly its expected diagnostics", arguments: cases)
    func fixture(_ fixture: String) throws {
        let files = Self.inputs(fixture)
        let expected = files.flatMap(Expectation.scan)
        #expect(!expected.isEmpty, "a fixture without expectations tests nothing")
        let result = try FrontEnd().compile(paths: files)
        var unmet = expected
        var unexpected: [String] = []
        for d in result.diagnostics {
            let file = (d.span.file.path as NSString).lastPathComponent
            let line = d.span.file.location(of: d.span.start).line
            if let i = unmet.firstIndex(where: { $0.file == file && $0.line == line && $0.code == d.code.rawValue && d.message.contains($0.message) }) {
                unmet.remove(at: i)
            } else {
                unexpected.append("\(file):\(line): \(d.code.rawValue) \(d.message)")
            }
        }
        #expect(unmet.isEmpty, "expected but not reported:\n\(unmet.map(\.description).joined(separator: "\n"))")
        #expect(unexpected.isEmpty, "reported but not expected:\n\(unexpected.joined(separator: "\n"))")
    }

    @Test("the fixtures exercise every front-end code")
    func coverage() {
        let used = Set(Self.cases.flatMap(Self.inputs).flatMap(Expectation.scan).map(\.code))
        // Covered elsewhere: E0008 (bytes a text fixture cannot hold, LexerTests), E03xx (CertTests),
        // E0900 (CrossCheckTests), W0005, W0008 and W0009 (CertTests: the state directory's).
        let elsewhere: Set<String> = ["E0008", "E0900", "W0005", "W0008", "W0009"]
        let missing = DiagnosticCode.allCases.map(\.rawValue)
            .filter { !$0.hasPrefix("E03") && !elsewhere.contains($0) && !used.contains($0) }
        #expect(missing.isEmpty, "codes no fixture expects: \(missing)")
    }

    @Test("diagnostics render with path:line:col, the source line, a caret and help")
    func rendering() throws {
        let result = try FrontEnd().compile(paths: Self.inputs("\(Paths.fixtures)/errors/multi"))
        let relative = result.diagnostics.map { rebase($0) }
        Golden.check(DiagnosticRenderer(color: false).render(relative) + "\n", "diagnostics/multi.txt")
        Golden.check(relative.map(DiagnosticJSON.render).joined(separator: "\n") + "\n", "diagnostics/multi.jsonl")
        let fields = try FrontEnd().compile(paths: ["\(Paths.fixtures)/errors/fields.ext"]).diagnostics.map { rebase($0) }
        Golden.check(DiagnosticRenderer(color: false).render(fields) + "\n", "diagnostics/fields.txt")
        // Two marks on one line are drawn under it together.
        let sameLine = try FrontEnd().compile(paths: ["\(Paths.fixtures)/errors/sameline.ext"]).diagnostics.map { rebase($0) }
        let text = DiagnosticRenderer(color: false).render(sameLine) + "\n"
        Golden.check(text, "diagnostics/sameline.txt")
        #expect(text.contains("  |             -- ^^ listed again\n"), "\(text)")
    }

    @Test("the CI formats, through the binary: GitHub workflow commands and a SARIF log, byte for byte")
    func ciFormats() throws {
        // Paths as CI passes them, relative to the checkout, so the goldens hold no machine's paths.
        let files = ["Tests/ExtcTests/Fixtures/errors/multi/a.ext", "Tests/ExtcTests/Fixtures/errors/multi/b.ext",
                     "Tests/ExtcTests/Fixtures/errors/sameline.ext"]
        for (format, golden) in [("github", "diagnostics/multi.github.txt"), ("sarif", "diagnostics/multi.sarif.json")] {
            let r = Run.extc(["check"] + files + ["--diagnostics", format], cwd: Paths.packageRoot)
            #expect(r.status == 1, "\(r.stderr)")
            #expect(r.stdout.isEmpty && r.stderr.hasPrefix(format == "sarif" ? "{\"$schema\"" : "::error file="), "\(r.stderr)")
            Golden.check(r.stderr, golden)
        }
    }

    /// The same diagnostic with paths relative to the package, so goldens do not hold this machine's paths.
    private func rebase(_ d: Diagnostic) -> Diagnostic {
        func move(_ s: Span) -> Span {
            let path = s.file.path.replacingOccurrences(of: Paths.packageRoot + "/", with: "")
            return Span(file: Rebased.file(path, s.file), start: s.start, end: s.end)
        }
        return Diagnostic(d.code, d.message, at: move(d.span), note: d.note,
                          labels: d.labels.map { Label(move($0.span), $0.message) }, help: d.help)
    }
}

/// One SourceFile per rebased path, so spans of the same file stay in the same file.
enum Rebased {
    nonisolated(unsafe) static var files: [String: SourceFile] = [:]
    static let lock = NSLock()

    static func file(_ path: String, _ original: SourceFile) -> SourceFile {
        lock.lock()
        defer { lock.unlock() }
        if let f = files[path], f.bytes == original.bytes { return f }
        let f = SourceFile(path: path, bytes: original.bytes)
        files[path] = f
        return f
    }
}
