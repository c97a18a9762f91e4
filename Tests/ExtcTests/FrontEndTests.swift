import ExtcCheck
import ExtcDriver
import ExtcSyntax
import Foundation
import Testing

struct LexerTests {
    func kinds(_ text: String) -> [TokenKind] {
        Lexer.tokenize(SourceFile(path: "t.ext", text: text)).tokens.map(\.kind)
    }

    @Test func tokens() {
        #expect(kinds("a b;{}\n# c\n\"s\"") == [.word, .word, .semicolon, .lbrace, .rbrace, .newline, .comment, .newline, .string, .eof])
    }

    @Test func wordsTakeImageReferencesArgsAndQuantities() {
        let file = SourceFile(path: "t.ext", text: "registry:5000/a/b:v1@sha256:00 --v=2 128Mi *")
        let (tokens, ds) = Lexer.tokenize(file)
        #expect(ds.isEmpty)
        #expect(tokens.dropLast().map { file.text($0.start..<$0.end) } == ["registry:5000/a/b:v1@sha256:00", "--v=2", "128Mi", "*"])
    }

    @Test func invalidUTF8IsReportedOnceAndSkipped() {
        let file = SourceFile(path: "t.ext", bytes: Array("a ".utf8) + [0xFF, 0xFE] + Array(" b # \u{e9}".utf8) + [0xC3])
        let (tokens, ds) = Lexer.tokenize(file)
        #expect(ds.map(\.code) == [.invalidUTF8, .invalidUTF8])
        #expect(tokens.map(\.kind) == [.word, .invalid, .word, .comment, .eof])
    }

    @Test func crlfLineEndingsAreNewlines() {
        #expect(kinds("a\r\nb # x\r\n") == [.word, .newline, .word, .comment, .newline, .eof])
    }

    @Test("tokens cover the file in order, without overlap")
    func coverage() {
        let text = Paths.read("\(Paths.samples)/wardle.ext")
        let (tokens, _) = Lexer.tokenize(SourceFile(path: "w", text: text))
        for (a, b) in zip(tokens, tokens.dropFirst()) { #expect(a.end <= b.start) }
        #expect(tokens.last?.end == text.utf8.count)
    }

    @Test func stringValues() {
        #expect(Parser.unquote(#""a\"b\\c\nd\te""#) == "a\"b\\c\nd\te")
        #expect(Parser.unquote(#""unterminated"#) == "unterminated")
        #expect(Parser.unquote(#""""#) == "")
    }
}

struct ParserTests {
    @Test("a missing brace is reported at the brace, and parsing resumes at the next apiserver")
    func resynchronises() {
        let (syntax, ds) = Parser.parse(SourceFile(path: "t.ext", text: "apiserver a {\n  group x.y\napiserver b {\n  group z.w\n}\n"))
        #expect(ds.map(\.code) == [.unclosedBlock])
        #expect(syntax.entries.map { $0.args.first?.text } == ["a", "b"])
    }

    @Test("one-line blocks, semicolons and trailing comments")
    func shapes() {
        let (syntax, ds) = Parser.parse(SourceFile(path: "t.ext", text: "r x { verbs get list; scope cluster } # tail\n"))
        #expect(ds.isEmpty)
        let e = syntax.entries[0]
        #expect(e.block?.singleLine == true)
        #expect(e.block?.entries.map(\.head.text) == ["verbs", "scope"])
        #expect(e.trailingComment == "# tail")
    }

    @Test("deep nesting is bounded, not a stack overflow")
    func deepNesting() {
        let text = String(repeating: "a {", count: 100_000) + String(repeating: "}", count: 100_000)
        let (_, ds) = Parser.parse(SourceFile(path: "t.ext", text: text))
        #expect(ds.map(\.code) == [.nestingTooDeep])
    }
}

struct PrinterTests {
    static var corpus: [String] {
        Paths.sampleFiles() + Paths.files(in: "\(Paths.fixtures)/valid", ext: "ext")
            + Paths.files(in: "\(Paths.fixtures)/errors", ext: "ext") + Paths.files(in: "\(Paths.fixtures)/errors/multi", ext: "ext")
    }

    @Test("fmt is idempotent, keeps the tree, and keeps every comment", arguments: corpus)
    func roundTrip(_ path: String) {
        let source = SourceFile(path: path, text: Paths.read(path))
        let (syntax, ds) = Parser.parse(source)
        guard !ds.contains(where: \.isError) else { return }  // fmt refuses files with syntax errors
        let once = Printer.format(syntax)
        let (again, ds2) = Parser.parse(SourceFile(path: path, text: once))
        #expect(ds2.isEmpty)
        #expect(again.dump == syntax.dump, "reparsing the formatted file gives another tree")
        #expect(Printer.format(again) == once, "fmt(fmt(x)) != fmt(x)")
        let comments = Paths.read(path).split(separator: "\n").filter { $0.contains("#") }.count
        #expect(once.split(separator: "\n").filter { $0.contains("#") }.count == comments)
    }

    @Test("samples are in canonical form")
    func samplesAreFormatted() {
        for path in Paths.sampleFiles() {
            let text = Paths.read(path)
            #expect(Printer.format(Parser.parse(SourceFile(path: path, text: text)).syntax) == text, "\(path) is not formatted")
        }
    }

    @Test func canonicalLayout() {
        let messy = "# head\n\n\napiserver   x {   # open\ngroup a.b\n  versions v1   v2 # two\n\n\n\n  resource r { verbs get;scope cluster }\n  certs {\n key rsa-2048\n}\n# end of x\n}\n"
        let formatted = Printer.format(Parser.parse(SourceFile(path: "t", text: messy)).syntax)
        #expect(formatted == """
            # head

            apiserver x { # open
              group    a.b
              versions v1 v2 # two

              resource r { verbs get; scope cluster }
              certs {
                key rsa-2048
              }
              # end of x
            }

            """)
    }
}

struct CheckerTests {
    func check(_ text: String) -> (Program?, [Diagnostic]) {
        let (syntax, ds) = Parser.parse(SourceFile(path: "t.ext", text: text))
        #expect(ds.isEmpty, "test input has syntax errors")
        return Checker.check([syntax])
    }

    @Test("two entries run together (a lost newline) are named as such, whatever the field says first")
    func runTogether() {
        let spec = Paths.read("\(Paths.samples)/minimal.ext")
            .replacingOccurrences(of: "  versions  v1alpha1\n", with: "  versions  v1alpha1 resource x { verbs get }\n")
            .replacingOccurrences(of: "  namespace hello\n", with: "  namespace hello service api\n")
        let (_, ds) = check(spec)
        #expect(ds.map(\.code) == [.blockMismatch, .wrongArity], "\(ds.map(\.message))")
        #expect(ds.map { $0.help ?? "" } == ["a newline or `;` is missing before `resource`, which starts a field of its own",
                                              "a newline or `;` is missing before `service`, which starts a field of its own"])
        // A value that only looks like a field, quoted, is a value.
        let (_, quoted) = check(Paths.read("\(Paths.samples)/minimal.ext").replacingOccurrences(of: "  namespace hello\n", with: "  namespace hello \"service\" x\n"))
        #expect(quoted.map { $0.help ?? "" }.allSatisfy { !$0.contains("newline") }, "\(quoted.map(\.message))")
    }

    @Test("cert-dir takes PATH, then file names in pairs, then a flag or none", arguments: [
        ("/certs", "tls.crt tls.key --cert-dir"), ("/certs none", "tls.crt tls.key -"), ("/certs --dir", "tls.crt tls.key --dir"),
        ("/certs a.crt a.key", "a.crt a.key --cert-dir"), ("/certs a.crt a.key none", "a.crt a.key -"),
        ("/certs a.crt a.key --d", "a.crt a.key --d"), ("/certs a.crt", "E0105"), ("/certs a.crt a.key d", "E0105"),
        ("/certs a.crt a.crt", "E0105"), ("/certs --d=x", "E0105"),
    ])
    func certDir(_ value: String, _ expected: String) throws {
        let spec = Paths.read("\(Paths.samples)/minimal.ext").replacingOccurrences(of: "  resource", with: "  serving { cert-dir \(value) }\n  resource")
        let (program, ds) = check(spec)
        if expected == "E0105" {
            #expect(program == nil && ds.map(\.code) == [.invalidValue], "\(ds)")
            return
        }
        #expect(ds.isEmpty, "\(ds)")
        let d = try #require(program?.servers.first?.serving.certDir)
        #expect("\(d.certFile) \(d.keyFile) \(d.flag ?? "-")" == expected && d.path.value == "/certs")
    }

    @Test("the minimal spec gets every documented default")
    func defaults() throws {
        let (program, ds) = check(Paths.read("\(Paths.samples)/minimal.ext"))
        #expect(ds.isEmpty)
        let s = try #require(program?.servers.first)
        #expect(s.port.value == 8443 && s.replicas.value == 2)
        #expect(s.groups.count == 1 && s.groups[0].groupPriorityMinimum.value == 1000 && s.groups[0].versions.allSatisfy { $0.priority.value == 15 })
        #expect(s.command.isEmpty && s.ports.isEmpty && s.volumes.isEmpty && s.selector.isEmpty && s.serviceAccount.value == "hello" && s.createServiceAccount)
        #expect(s.pod.identity.value == .standard && !s.pod.hostNetwork && s.pod.spread && s.serving.portFlag.value == "--secure-port")
        #expect(s.serving.readiness.value == "/readyz" && s.serving.liveness.value == "/livez" && s.serving.startup == nil && s.serving.certDir == nil)
        #expect(s.certs.key.value == .ecdsaP256 && s.certs.ca.value == .generated)
        #expect(s.certs.validity.value == 365 * 86_400 && s.certs.caValidity.value == 3650 * 86_400)
        #expect(s.certs.renewBefore.value == 30 * 86_400 && s.certs.clusterDomain.value == "cluster.local")
        #expect(s.pullPolicy.value == "IfNotPresent" && s.createNamespace)
        #expect(s.requests.map { "\($0.key.value)=\($0.value.value)" } == ["cpu=100m", "memory=128Mi"])
        #expect(s.limits.map { "\($0.key.value)=\($0.value.value)" } == ["memory=512Mi"])
        #expect(s.library.value == LibraryVersion(minor: 36) && s.storage == nil)
        #expect(s.rules.map(\.resources) == [["namespaces"], ["mutatingwebhookconfigurations", "validatingwebhookconfigurations",
                                                               "validatingadmissionpolicies", "validatingadmissionpolicybindings",
                                                               "mutatingadmissionpolicies", "mutatingadmissionpolicybindings"],
                                               ["flowschemas", "prioritylevelconfigurations"]])
    }

    @Test("an allow rule replaces the default; `allow default` brings it back")
    func allowReplacesDefault() throws {
        let minimal = Paths.read("\(Paths.samples)/minimal.ext")
        let base = String(minimal.dropLast(2))  // without the final "}\n"
        #expect(minimal.hasSuffix("}\n"))
        let (own, _) = check(base + "  allow \"\" pods { get }\n}\n")
        #expect(own?.servers[0].rules.map(\.resources) == [["pods"]])
        let (both, _) = check(base + "  allow default\n  allow \"\" pods { get }\n}\n")
        #expect(both?.servers[0].rules.count == 4)
    }

    @Test("built-in namespaces are never created")
    func builtinNamespace() throws {
        let text = Paths.read("\(Paths.samples)/minimal.ext").replacingOccurrences(of: "namespace hello", with: "namespace kube-system")
        #expect(check(text).0?.servers[0].createNamespace == false)
    }

    @Test("name rules", arguments: [
        ("wardle", true, true), ("a-b-1", true, true), ("1abc", true, false), ("-a", false, false), ("A", false, false),
        (String(repeating: "a", count: 63), true, true), (String(repeating: "a", count: 64), false, false),
    ])
    func dnsLabels(_ name: String, _ rfc1123: Bool, _ rfc1035: Bool) {
        #expect(Names.isDNS1123Label(name) == rfc1123)
        #expect(Names.isDNS1035Label(name) == rfc1035)
    }

    @Test func versions() {
        for ok in ["v1", "v2beta3", "v1alpha1", "v10", "v1beta10"] { #expect(Names.isKubeVersion(ok), "\(ok)") }
        for bad in ["v0", "1", "v1.0", "V1", "v1beta", "v1gamma1", "v01", "v1beta0", "v1alpha1x"] { #expect(!Names.isKubeVersion(bad), "\(bad)") }
    }

    @Test func images() {
        for ok in ["nginx", "nginx:1.25", "registry.example.com:5000/team/app:v1.0_rc-1", "localhost/a",
                   "ghcr.io/a/b@sha256:" + String(repeating: "a", count: 64), "a/b:v1@sha256:" + String(repeating: "0", count: 64)] {
            #expect((try? ImageReference.parse(ok).get()) != nil, "\(ok)")
        }
        for bad in ["", "UPPER/app", "a//b", "a:", "a@sha256:123", "a/b:-tag", "a/-b", "a b"] {
            #expect((try? ImageReference.parse(bad).get()) == nil, "\(bad)")
        }
    }

    @Test func quantitiesAndDurations() {
        for ok in ["1", "0.5", "100m", "128Mi", "1Gi", "1e3", "2E-2"] { #expect(Names.isQuantity(ok), "\(ok)") }
        for bad in ["", "m", "1.2.3", "10MB", "lots", "-1x"] { #expect(!Names.isQuantity(bad), "\(bad)") }
        #expect(Names.duration("365d") == 365 * 86_400)
        #expect(Names.duration("12h") == 12 * 3600)
        #expect(Names.duration("2w") == 14 * 86_400)
        #expect(Names.duration("10y") == 3650 * 86_400)
        for bad in ["0d", "d", "1.5d", "1m", "101y", "-1d", "99999999999999999y"] { #expect(Names.duration(bad) == nil, "\(bad)") }
    }

    @Test func suggestions() {
        #expect(Suggest.closest(to: "grup", in: ["group", "versions"]) == "group")
        #expect(Suggest.closest(to: "lsit", in: KnownAPIs.resourceVerbs) == "list")
        #expect(Suggest.closest(to: "zzzzzz", in: ["group"]) == nil)
    }
}

struct TargetedHelpTests {
    @Test("help says what to write: values on the line, the block a field belongs to, `{` on its entry's line")
    func targeted() throws {
        func helps(_ path: String) throws -> [String] {
            try FrontEnd().compile(paths: ["\(Paths.fixtures)/errors/\(path)"]).diagnostics.compactMap(\.help)
        }
        let levels = try helps("levels.ext")
        #expect(levels.contains("write the values on the line: `versions v1 v2`"))
        #expect(levels.contains("`validity` is a field of `certs { ... }`; move it into that block"))
        #expect(try helps("allman.ext") == ["a block starts on its entry's line: `certs {`"])
        #expect(try helps("habits.ext").contains("write `group VALUE`: a field and its values are separated by spaces, with no `:`"))
    }
}

struct LineEndingTests {
    @Test("a leading byte order mark is white space, and fmt drops it")
    func byteOrderMark() {
        let text = "\u{FEFF}apiserver x {\n  group x.example.com\n}\n"
        let (syntax, ds) = Parser.parse(SourceFile(path: "bom.ext", text: text))
        #expect(ds.isEmpty && syntax.entries.count == 1)
        #expect(Printer.format(syntax) == "apiserver x {\n  group x.example.com\n}\n")
    }

    @Test("fmt is idempotent whatever the line endings, `\\r\\r\\n` after a comment included")
    func crlf() {
        for text in ["apiserver x { # a\r\r\n  group x.example.com\r\r\n}\r\n", "# c\r\r\r\napiserver y {\r\n}\r\n", "apiserver z {}\n# end\r"] {
            let (once, _) = Parser.parse(SourceFile(path: "crlf.ext", text: text))
            let first = Printer.format(once)
            let (again, _) = Parser.parse(SourceFile(path: "crlf.ext", text: first))
            #expect(Printer.format(again) == first, "\(text.debugDescription) -> \(first.debugDescription)")
            #expect(!first.contains("\r"))
        }
    }
}
