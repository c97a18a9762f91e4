import ArgumentParser
import ExtcDriver
import ExtcEmit

// The everyday invocations of `build`, `check` and `fmt`, read without swift-argument-parser.
//
// ArgumentParser finds a command's options by reflecting over its properties (Mirror, type
// lookups by mangled name, protocol-conformance scans over the whole binary): 1.1-2 ms of a
// process whose start takes 3 (README, Benchmarks). A build system or an editor
// (format-on-save: `extc fmt -`) runs these commands over and over.
//
// Invariant: `QuickCommand` either reads argv exactly as ArgumentParser would (the same
// `BuildArguments`, `CheckArguments` or `FmtArguments`), or returns nil and ArgumentParser reads
// it. So it reads only an argv made of file names and the spellings in its tables, each option
// at most once, whose values are plain (not empty, not starting with `-`) and convert, and which
// the command accepts. Help, `--`, an unknown, repeated or misspelt option, and every refused
// combination go to ArgumentParser, which gives its usual messages. QuickArgsTests hold the two
// readers to the same values over generated argv, and the tables to the commands' help.

/// The command the quick reader read, ready to run.
enum QuickCommand: Equatable {
    case build(BuildArguments)
    case check(CheckArguments)
    case fmt(FmtArguments)

    /// nil: ArgumentParser reads `args` (everything after the program name).
    init?(_ args: ArraySlice<String>) {
        guard let name = args.first else { return nil }
        let rest = args.dropFirst()
        switch name {
        case "build":
            guard let q = QuickArgs(rest, .build), let a = BuildArguments(quick: q) else { return nil }
            self = .build(a)
        case "check":
            guard let q = QuickArgs(rest, .check), let a = CheckArguments(quick: q) else { return nil }
            self = .check(a)
        case "fmt":
            guard let q = QuickArgs(rest, .fmt), let a = FmtArguments(quick: q) else { return nil }
            self = .fmt(a)
        default:
            return nil
        }
    }

    func run() throws {
        switch self {
        case .build(let a): try a.run()
        case .check(let a): try a.run()
        case .fmt(let a): try a.run()
        }
    }
}

/// One command's argv, split into files, option values and flags, by long name.
struct QuickArgs {
    /// A command's spellings, as its ParsableCommand declares them: the long names (without `--`)
    /// of options that take a value and of flags, and short aliases (`-o`) by long name.
    struct Spellings {
        let options: Set<String>
        let flags: Set<String>
        let shorts: [String: String]

        static let diagnostics: Set<String> = ["diagnostics", "color"]
        static let build = Spellings(options: Set(["output", "out-dir", "layout", "format", "state", "stdin-filename"]).union(diagnostics),
                                     flags: ["no-secrets", "check", "diff"], shorts: ["-o": "output"])
        static let check = Spellings(options: Set(["stdin-filename", "state", "deny"]).union(diagnostics), flags: ["no-secrets"], shorts: [:])
        static let fmt = Spellings(options: Set(["stdin-filename"]).union(diagnostics), flags: ["write", "check", "diff"], shorts: [:])
    }

    private(set) var files: [String] = []
    private var values: [String: String] = [:]
    private var flags: Set<String> = []

    /// nil for anything outside the plain form (see the file's comment), and for no files at all.
    init?(_ args: ArraySlice<String>, _ spellings: Spellings) {
        var rest = args
        while let arg = rest.popFirst() {
            if arg == "-" || !arg.hasPrefix("-") { files.append(arg); continue }
            let name: String, inline: String?
            if arg.hasPrefix("--") {
                let body = arg.dropFirst(2)
                let eq = body.firstIndex(of: "=")
                name = String(body[..<(eq ?? body.endIndex)])
                inline = eq.map { String(body[body.index(after: $0)...]) }
            } else {
                guard let long = spellings.shorts[arg] else { return nil }
                (name, inline) = (long, nil)
            }
            if spellings.flags.contains(name) {
                guard inline == nil, flags.insert(name).inserted else { return nil }
            } else if spellings.options.contains(name), values[name] == nil, let value = inline ?? rest.popFirst(),
                      !value.isEmpty, !value.hasPrefix("-") {
                values[name] = value
            } else {
                return nil
            }
        }
        if files.isEmpty { return nil }
    }

    func value(_ name: String) -> String? { values[name] }
    func flag(_ name: String) -> Bool { flags.contains(name) }

    /// An option of an enumerated type: `.some(nil)` when absent, nil when its value is not one
    /// of the type's (so `guard let x = q.choice(...)` reads "absent or valid").
    func choice<T: ExpressibleByArgument>(_ name: String, _ type: T.Type) -> T?? {
        guard let text = values[name] else { return .some(nil) }
        return T(argument: text).map { .some($0) }
    }
}

extension DiagnosticChoice {
    init?(quick q: QuickArgs) {
        guard let format = q.choice("diagnostics", DiagnosticsFormat.self), let color = q.choice("color", ColorChoice.self) else { return nil }
        self.init(format: format ?? .human, color: color ?? .auto)
    }
}

extension BuildArguments {
    /// nil when a value does not convert or the command refuses the combination.
    init?(quick q: QuickArgs) {
        guard let layout = q.choice("layout", Layout.self), let format = q.choice("format", OutputFormat.self),
              let diagnostics = DiagnosticChoice(quick: q) else { return nil }
        let out = OutputChoice(output: q.value("output"), outDir: q.value("out-dir"), layout: layout, format: format ?? .yaml,
                               noSecrets: q.flag("no-secrets"), state: q.value("state"), stdinFilename: q.value("stdin-filename"))
        self.init(files: q.files, out: out, diagnostics: diagnostics, check: q.flag("check"), diff: q.flag("diff"))
        if out.problem != nil || problem != nil { return nil }
    }
}

extension CheckArguments {
    init?(quick q: QuickArgs) {
        guard let diagnostics = DiagnosticChoice(quick: q) else { return nil }
        self.init(files: q.files, stdinFilename: q.value("stdin-filename"), state: q.value("state"), deny: q.value("deny"),
                  noSecrets: q.flag("no-secrets"), diagnostics: diagnostics)
        if problem != nil { return nil }
    }
}

extension FmtArguments {
    init?(quick q: QuickArgs) {
        guard let diagnostics = DiagnosticChoice(quick: q) else { return nil }
        self.init(files: q.files, stdinFilename: q.value("stdin-filename"), write: q.flag("write"), check: q.flag("check"),
                  diff: q.flag("diff"), diagnostics: diagnostics)
        if problem != nil { return nil }
    }
}
