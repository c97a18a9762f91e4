import ExtcCheck
import ExtcDriver
import ExtcSyntax
import Foundation
import Testing

/// The docs cannot drift from the parser: every example in README and grammar/ is parsed and checked.
struct DocsTests {
    static func readmeExamples() -> [String] {
        let text = Paths.read("\(Paths.packageRoot)/README.md")
        return text.components(separatedBy: "```ext\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
    }

    static func grammarExamples() -> [String] {
        let text = Paths.read("\(Paths.packageRoot)/grammar/ext.ebnf")
        return text.components(separatedBy: "(* example\n").dropFirst().map { $0.components(separatedBy: "*)")[0] }
    }

    @Test("every README and grammar example parses and checks cleanly")
    func examples() {
        let all = Self.readmeExamples() + Self.grammarExamples()
        #expect(Self.readmeExamples().count >= 1 && Self.grammarExamples().count >= 2)
        for text in all {
            let (syntax, ds) = Parser.parse(SourceFile(path: "example.ext", text: text))
            let (program, checked) = Checker.check([syntax])
            #expect(ds.isEmpty && checked.isEmpty && program != nil, "\(text)\n\((ds + checked).map(\.message))")
        }
    }

    @Test("docs/diagnostics.md is what `extc explain --markdown` prints")
    func diagnosticsDoc() {
        let expected = Commands.diagnosticsMarkdown()
        if Golden.recording { Paths.write(expected, to: "\(Paths.packageRoot)/docs/diagnostics.md") }
        #expect(Paths.read("\(Paths.packageRoot)/docs/diagnostics.md") == expected)
    }

    @Test("every code has documentation, and every documented code exists")
    func codes() {
        let doc = Paths.read("\(Paths.packageRoot)/docs/diagnostics.md")
        let documented = Set(doc.split(separator: "\n").filter { $0.hasPrefix("## ") }.map { String($0.dropFirst(3)) })
        #expect(documented == Set(DiagnosticCode.allCases.map(\.rawValue)))
        for c in DiagnosticCode.allCases { #expect(c.explanation.count > 40 && !c.title.isEmpty, "\(c.rawValue)") }
        let codes = DiagnosticCode.allCases.map(\.rawValue)
        #expect(codes == codes.sorted(), "`explain --list` and docs/diagnostics.md list the codes in order")
    }

    @Test("README, the grammar and the editor grammar name every field of every block the checker knows")
    func fieldsDocumented() throws {
        let readme = Paths.read("\(Paths.packageRoot)/README.md")
        let ebnf = Paths.read("\(Paths.packageRoot)/grammar/ext.ebnf")
        let tm = Paths.read("\(Paths.packageRoot)/grammar/ext.tmLanguage.json")
        let words = Set(tm.split(whereSeparator: { !($0.isLetter || $0 == "-") }).map(String.init))
        #expect(Schema.blocks.map(\.block) == ["apiserver", "resource", "storage", "certs"])
        for (block, fields) in Schema.allBlocks {
            for field in fields {
                #expect(readme.contains("`\(field) ") || readme.contains("`\(field)`"), "README does not document `\(field)` of \(block)")
                #expect(ebnf.contains("\"\(field)\""), "grammar/ext.ebnf lacks \"\(field)\" of \(block)")
                #expect(words.contains(field), "grammar/ext.tmLanguage.json does not highlight `\(field)`")
            }
        }
    }
}

/// The editor grammar colours what the checker reads: run its patterns as an editor would, on
/// lines of every field of every block, alone and in one-line blocks, and on every value keyword.
struct EditorGrammarTests {
    static func repository() -> [String: Any] {
        let data = Data(Paths.read("\(Paths.packageRoot)/grammar/ext.tmLanguage.json").utf8)
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        return json?["repository"] as? [String: Any] ?? [:]
    }

    static func regex(_ path: [String]) throws -> NSRegularExpression {
        var node: Any? = repository()[path[0]]
        for key in path.dropFirst() {
            if let i = Int(key) { node = (node as? [Any])?[i] } else { node = (node as? [String: Any])?[key] }
        }
        return try NSRegularExpression(pattern: try #require(node as? String, "\(path)"))
    }

    /// The text of capture 1 where `re` matches at `offset` in `line` (seeing the text before).
    static func capture(_ re: NSRegularExpression, _ line: String, at offset: Int) -> String? {
        let ns = line as NSString
        let range = NSRange(location: offset, length: ns.length - offset)
        guard let m = re.firstMatch(in: line, options: [.anchored, .withTransparentBounds, .withoutAnchoringBounds], range: range),
              m.range(at: 1).location != NSNotFound else { return nil }
        return ns.substring(with: m.range(at: 1))
    }

    @Test("every field is coloured whole, at a line's start and after `{` or `;`; a longer field is never cut to a block keyword")
    func fields() throws {
        let block = try Self.regex(["block-keyword", "match"]), field = try Self.regex(["field", "match"])
        for (_, fields) in Schema.allBlocks {
            for name in fields {
                for (line, offset) in [("  \(name) x", 0), ("x { \(name) x }", 3), ("x { a b; \(name) x }", 8)] {
                    // The editor tries the block keywords first, then the fields.
                    let seen = Self.capture(block, line, at: offset) ?? Self.capture(field, line, at: offset)
                    #expect(seen == name, "`\(line)` colours \(seen.map { "`\($0)`" } ?? "nothing")")
                }
            }
        }
        #expect(Self.capture(field, "x y group-priority 5", at: 3) == nil, "a value is not a field")
    }

    @Test("every value keyword is coloured, and none inside a longer word")
    func constants() throws {
        let constant = try Self.regex(["constant", "patterns", "0", "match"])
        let words = KnownAPIs.ruleVerbs.filter { $0 != "*" } + ["namespaced", "cluster", "sidecar", "existing", "platform", "nodes", "none",
            "service-ca", "external", "server", "server-client", "Exists", "Equal", "NoSchedule", "PreferNoSchedule", "NoExecute",
            "default", "generated", "files", "cert-manager", "field", "secret", "config-map", "cpu", "memory", "ephemeral-storage",
            "IfNotPresent", "Always", "Never"] + KeyAlgorithm.allCases.map(\.rawValue)
        for w in words {
            #expect(Self.capture(constant, "x \(w)", at: 2) == w, "`\(w)`")
            #expect(Self.capture(constant, "x \(w)-y", at: 2) == nil && Self.capture(constant, "x a.\(w)", at: 4) == nil, "`\(w)` in a longer word")
        }
        let number = try Self.regex(["constant", "patterns", "1", "match"])
        for n in ["20s", "2m", "365d", "8760h", "10y", "128Mi", "100m", "8443"] {
            #expect(number.firstMatch(in: "x \(n)", range: NSRange(location: 2, length: n.utf16.count)) != nil, "`\(n)`")
        }
    }
}

/// Random bytes and mutated samples: the front end never crashes or hangs, and whatever parses
/// cleanly formats to a fixed point with the same tree. Bounded and seeded, so it is reproducible.
struct FuzzTests {
    struct RNG: RandomNumberGenerator {
        var x: UInt64
        mutating func next() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func exercise(_ bytes: [UInt8]) {
        let file = SourceFile(path: "fuzz.ext", bytes: bytes)
        let (syntax, ds) = Parser.parse(file)
        for d in ds { #expect(d.span.start <= d.span.end && d.span.end <= bytes.count) }
        _ = DiagnosticRenderer().render(ds)
        let (_, checked) = Checker.check([syntax])
        _ = DiagnosticRenderer().render(checked)
        guard !ds.contains(where: \.isError) else { return }
        let once = Printer.format(syntax)
        let (again, ds2) = Parser.parse(SourceFile(path: "fuzz.ext", text: once))
        #expect(ds2.isEmpty, "formatted text does not reparse: \(once.debugDescription)")
        #expect(again.dump == syntax.dump)
        #expect(Printer.format(again) == once)
    }

    @Test("random bytes", .timeLimit(.minutes(2)))
    func randomBytes() {
        var rng = RNG(x: 1)
        let alphabet = Array("apiserver group { } ; \" # \\ \n\t x.y v1 é\u{0}\u{FF}".utf8)
        for i in 0..<3000 {
            let n = Int.random(in: 0..<200, using: &rng)
            let bytes = (0..<n).map { _ in i % 2 == 0 ? UInt8.random(in: 0...255, using: &rng) : alphabet.randomElement(using: &rng)! }
            Self.exercise(bytes)
        }
    }

    @Test("samples with tokens deleted, duplicated and swapped", .timeLimit(.minutes(2)))
    func mutatedSamples() {
        var rng = RNG(x: 2)
        for path in Paths.sampleFiles() {
            let file = SourceFile(path: path, text: Paths.read(path))
            let tokens = Lexer.tokenize(file).tokens.dropLast().map { Array(file.bytes[$0.start..<$0.end]) }
            for _ in 0..<400 {
                var t = tokens
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let i = Int.random(in: 0..<t.count, using: &rng), j = Int.random(in: 0..<t.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: t.remove(at: i)
                    case 1: t.insert(t[i], at: j)
                    default: t.swapAt(i, j)
                    }
                }
                Self.exercise(Array(t.joined(separator: [0x20])))
            }
        }
    }

    @Test("generated valid specs format to a fixed point", .timeLimit(.minutes(1)))
    func generated() {
        var rng = RNG(x: 3)
        let fields = ["group a.example.com", "versions v1 v2beta1", "namespace ns", "service api", "image r.io/a:v1",
                      "replicas 3", "args \"--v=2\" \"x y\"", "resource things { verbs get; scope cluster }",
                      "env {\n A 1\n}", "# a comment", "", "labels { tier backend }", "certs { key rsa-2048 }"]
        for _ in 0..<500 {
            var text = ""
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                text += "apiserver s { # open\n"
                for _ in 0..<Int.random(in: 0...10, using: &rng) {
                    let pad = String(repeating: " ", count: Int.random(in: 0...4, using: &rng))
                    text += pad + fields.randomElement(using: &rng)! + (Bool.random(using: &rng) ? " # tail\n" : "\n")
                }
                text += "}\n" + (Bool.random(using: &rng) ? "\n\n" : "")
            }
            Self.exercise(Array(text.utf8))
        }
    }
}

/// libFuzzer over the front end (Fuzz/build.sh), 100,000 inputs, in CI (or with EXTC_FUZZ=1):
/// no crash, no leak, no hang. Outside CI it is skipped: building with the sanitizers takes a while.
struct LibFuzzerTests {
    static var enabled: Bool { Run.inCI || ProcessInfo.processInfo.environment["EXTC_FUZZ"] == "1" }

    @Test("100,000 libFuzzer inputs find no crash", .enabled(if: enabled), .timeLimit(.minutes(15)))
    func libFuzzer() throws {
        let build = Run.program("/bin/bash", ["\(Paths.packageRoot)/Fuzz/build.sh"], timeout: 600)
        #expect(build.status == 0, "\(build.stderr.suffix(2000))")
        guard build.status == 0 else { return }
        let corpus = Paths.temporaryDirectory("extc-fuzz")
        defer { Paths.cleanUp(corpus) }
        let r = Run.program("\(Paths.packageRoot)/Fuzz/fuzz-extc", ["-runs=100000", "-timeout=10", "-rss_limit_mb=4096", corpus, Paths.samples],
                            environment: ["SWIFT_BACKTRACE": "enable=no", "PATH": "/usr/bin:/bin"], timeout: 840)
        #expect(r.status == 0, "\(r.stderr.suffix(3000))")
        #expect(r.stderr.contains("Done 100000 runs"), "\(r.stderr.suffix(500))")
    }
}
