import ArgumentParser
@testable import extc
import Testing

/// The quick argv reader (`QuickCommand`) against ArgumentParser: whatever it reads, it reads
/// exactly as ArgumentParser does, and it reads the everyday forms (README's examples).
struct QuickArgsTests {
    /// ArgumentParser's reading of `argv` (after the program name), as the command's plain values.
    static func parsed(_ argv: [String]) -> QuickCommand? {
        switch try? Extc.parseAsRoot(argv) {
        case let b as Build: .build(b.arguments)
        case let c as Check: .check(c.arguments)
        case let f as Fmt: .fmt(f.arguments)
        default: nil
        }
    }

    /// Words argv is drawn from: plain ones (file names, each option with a value its type takes,
    /// flags), and odd ones (values not taken, empty, option-like; help, `--`, unknown options)
    /// that the quick reader must leave to ArgumentParser or read the same.
    static let files = ["a.ext", "dir/b.ext", "-", "specs/*.ext", "c d.ext", "é.ext", "a=b.ext"]
    /// Values each option's type takes (a path where any string goes).
    static func plainValues(_ option: String) -> [String] {
        switch option {
        case "layout": ["stream", "dir", "kustomize"]
        case "format": ["yaml", "json"]
        case "diagnostics": ["human", "json", "github", "sarif"]
        case "color": ["auto", "always", "never"]
        case "deny": ["warnings"]
        default: ["x", "deploy/", "out.yaml", "a=b", "json"]
        }
    }
    static let oddValues = ["", "-", "-x", "--y", "bogus", "YAML"]
    static let junk = ["--help", "-h", "--", "--unknown", "-x", "--version", "-oo", "-o=x", "--check=true", "--no-secrets=1", "-f"]

    /// Each option with each value, in every spelling: `--name v`, `--name=v`, and its short form.
    static func pairs(_ spellings: QuickArgs.Spellings, values: (String) -> [String]) -> [[String]] {
        let shorts = Dictionary(spellings.shorts.map { ($0.value, $0.key) }, uniquingKeysWith: min)
        return spellings.options.sorted().flatMap { name in
            values(name).flatMap { v in [["--\(name)", v], ["--\(name)=\(v)"]] + (shorts[name].map { [[$0, v]] } ?? []) }
        }
    }

    @Test("on 6,000 generated argv, the quick reader reads what ArgumentParser reads, or leaves it to it",
          arguments: [("build", QuickArgs.Spellings.build), ("check", .check), ("fmt", .fmt)])
    func agreesWithArgumentParser(_ command: String, _ spellings: QuickArgs.Spellings) {
        var rng = FuzzTests.RNG(x: 0x5EED_0A11)
        let pools: [[[String]]] = [
            Self.files.map { [$0] },
            spellings.flags.sorted().map { ["--\($0)"] } + Self.pairs(spellings, values: Self.plainValues),
            Self.pairs(spellings, values: Self.plainValues),
            Self.junk.map { [$0] } + Self.pairs(spellings, values: { _ in Self.oddValues }) + spellings.options.sorted().map { ["--\($0)"] },
        ]
        func word() -> [String] {
            let pool = pools[[0, 0, 1, 2, 0, 1, 2, 3][Int.random(in: 0..<8, using: &rng)]]
            return pool.randomElement(using: &rng)!
        }
        var read = 0, mismatches: [String] = []
        for _ in 0..<2_000 {
            let length = Int.random(in: 0...6, using: &rng)
            let argv = [command] + (0..<length).flatMap { _ in word() }
            guard let quick = QuickCommand(argv[...]) else { continue }
            read += 1
            let full = Self.parsed(argv)
            if quick != full, mismatches.count < 5 { mismatches.append("\(argv): quick \(quick), ArgumentParser \(String(describing: full))") }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
        // Many draws repeat an option, give a bad value or hold junk; a fair share must still be read quickly.
        #expect(read > 400, "only \(read) of 2,000 read quickly")
    }

    @Test("README's invocations are read quickly, with the values ArgumentParser gives")
    func everydayForms() {
        let forms: [[String]] = [
            ["build", "samples/wardle.ext"],
            ["build", "samples/*.ext", "-o", "manifests.yaml"],
            ["build", "samples/wardle.ext", "--layout", "kustomize", "-o", "deploy/"],
            ["build", "samples/wardle.ext", "--no-secrets", "--out-dir", "deploy/", "--check"],
            ["build", "samples/wardle.ext", "--out-dir=deploy", "--format=json", "--diagnostics", "github", "--color=never"],
            ["build", "-", "--stdin-filename", "specs/x.ext", "--state", ".extc", "-o", "out.yaml", "--check", "--diff"],
            ["check", "samples/wardle.ext", "--deny", "warnings"],
            ["check", "specs/a.ext", "specs/b.ext", "--state", "st", "--diagnostics=sarif"],
            ["fmt", "-", "--stdin-filename", "specs/a.ext"], ["fmt", "--check", "--diff", "specs/a.ext"], ["fmt", "--write", "a.ext", "b.ext"],
        ]
        for argv in forms {
            let quick = QuickCommand(argv[...])
            #expect(quick != nil, "\(argv) is left to ArgumentParser")
            #expect(quick == Self.parsed(argv), "\(argv)")
        }
    }

    @Test("help, `--`, repeats, unknown options and refused combinations are left to ArgumentParser")
    func leftAlone() {
        let argvs: [[String]] = [
            ["build"], ["build", "--help"], ["build", "a.ext", "-h"], ["build", "--", "a.ext"], ["build", "a.ext", "-o", "x", "-o", "y"],
            ["build", "a.ext", "--check", "--check"], ["build", "a.ext", "--frobnicate"], ["build", "a.ext", "--layout", "tree"],
            ["build", "a.ext", "-o", "x", "--out-dir", "y"], ["build", "a.ext", "--check"], ["build", "a.ext", "--diff", "-o", "x"],
            ["build", "a.ext", "--layout", "dir"], ["build", "a.ext", "-o"], ["build", "a.ext", "-o", "-"], ["check", "a.ext", "--deny", "errors"],
            ["fmt", "a.ext", "--write", "--check"], ["fmt", "--write", "--diff", "a.ext"], ["watch", "a.ext", "-o", "x"], ["--version"], [],
        ]
        for argv in argvs { #expect(QuickCommand(argv[...]) == nil, "\(argv)") }
    }

    /// The tables name every option the command's help shows, so none falls back for want of an
    /// entry, and nothing the command lacks.
    @Test("the spellings tables match each command's options in its help")
    func tablesMatchHelp() {
        for (help, spellings) in [(Build.helpMessage(columns: 400), QuickArgs.Spellings.build), (Check.helpMessage(columns: 400), .check),
                                  (Fmt.helpMessage(columns: 400), .fmt)] {
            // The options list: lines that start with a spelling (the examples hold `-f` and the like).
            let words = help.split(separator: "\n").filter { $0.drop { $0 == " " }.hasPrefix("-") }.flatMap { line in
                line.split(separator: "  ", maxSplits: 1)[0].split(whereSeparator: { " ,[]<>()".contains($0) })
            }
            let named = Set(words.compactMap { word -> String? in
                word.hasPrefix("--") && word.count > 2 ? String(word.dropFirst(2)) : nil
            })
            #expect(named == spellings.options.union(spellings.flags).union(["help"]), "\(help)")
            let shorts = Set(words.filter { $0.count == 2 && $0.hasPrefix("-") && $0 != "-h" }.map(String.init))
            #expect(shorts == Set(spellings.shorts.keys), "\(shorts)")
        }
    }
}
