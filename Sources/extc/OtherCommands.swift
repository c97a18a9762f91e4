import ArgumentParser
import ExtcCheck
import ExtcCerts
import ExtcDriver

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check specs and print diagnostics (for PR checks). Writes nothing.",
        usage: "extc check <files>... [--deny warnings] [--no-secrets] [<options>]",
        discussion: """
            Reports everything a build would, without issuing or writing: the specs' diagnostics, \
            a `ca files` CA that is unusable or expiring (E0301-E0305), unreadable or foreign \
            certificate state (E0308, E0309), files a volume names (E0307), and stored certificates \
            within their renewal window (W0005).

            With --no-secrets, what `build --no-secrets` would report: the committed certificates \
            are enough (E0310 without them), and no key is read, as in a fresh clone in CI.
            """)

    @Argument(help: "Spec files (*.ext); `-` reads standard input.")
    var files: [String]

    @Option(help: ArgumentHelp("The name standard input (`-`) goes by: in messages, and for the state and relative paths.", valueName: "path"))
    var stdinFilename: String?

    @Option(help: ArgumentHelp("Certificate state directory to inspect.", valueName: "dir"))
    var state: String?

    @Option(help: ArgumentHelp("`warnings`: any warning fails the check (exit 1).", valueName: "warnings"))
    var deny: String?

    @Flag(help: "Check what a build with --no-secrets needs: the committed certificates, no key (for CI).")
    var noSecrets = false

    @OptionGroup var diagnostics: DiagnosticOptions

    var arguments: CheckArguments {
        CheckArguments(files: files, stdinFilename: stdinFilename, state: state, deny: deny, noSecrets: noSecrets, diagnostics: diagnostics.choice)
    }

    func validate() throws {
        if let problem = arguments.problem { throw ValidationError(problem) }
    }

    func run() throws { try arguments.run() }
}

/// What `extc check` was asked, however argv was read (ArgumentParser, or `QuickArgs`).
struct CheckArguments: Equatable {
    var files: [String]
    var stdinFilename: String? = nil
    var state: String? = nil
    var deny: String? = nil
    var noSecrets = false
    var diagnostics = DiagnosticChoice()

    var problem: String? {
        if let deny, deny != "warnings" { return "--deny takes `warnings`" }
        return nil
    }

    func run() throws {
        try finish(Commands(console: diagnostics.console).check(Inputs(files, stdinName: stdinFilename), state: StateDirectory(override: state),
                                                                denyWarnings: deny == "warnings", publicOnly: noSecrets))
    }
}

struct Fmt: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fmt",
        abstract: "Print specs in canonical form, or rewrite, check or diff them.",
        usage: "extc fmt <files>... [--write | --check [--diff]] [<options>]",
        discussion: "Formatting keeps every comment and never changes what a spec means. `extc fmt -` formats standard input (for editors' format-on-save).")

    @Argument(help: "Spec files (*.ext); `-` reads standard input.")
    var files: [String]

    @Option(help: ArgumentHelp("The name standard input (`-`) goes by in messages.", valueName: "path"))
    var stdinFilename: String?

    @Flag(help: "Rewrite the files in place.")
    var write = false

    @Flag(help: "List files that are not formatted; exit 2 if any.")
    var check = false

    @Flag(help: "Print a unified diff of the changes (with --check, also exit 2).")
    var diff = false

    @OptionGroup var diagnostics: DiagnosticOptions

    var arguments: FmtArguments {
        FmtArguments(files: files, stdinFilename: stdinFilename, write: write, check: check, diff: diff, diagnostics: diagnostics.choice)
    }

    func validate() throws {
        if let problem = arguments.problem { throw ValidationError(problem) }
    }

    func run() throws { try arguments.run() }
}

/// What `extc fmt` was asked, however argv was read (ArgumentParser, or `QuickArgs`).
struct FmtArguments: Equatable {
    var files: [String]
    var stdinFilename: String? = nil
    var write = false
    var check = false
    var diff = false
    var diagnostics = DiagnosticChoice()

    var problem: String? {
        if write, check || diff { return "--write does not combine with --check or --diff" }
        return nil
    }

    func run() throws {
        let mode: FmtMode = diff ? .diff(check: check) : check ? .check : write ? .write : .print
        try finish(Commands(console: diagnostics.console).fmt(Inputs(files, stdinName: stdinFilename), mode: mode))
    }
}

struct Certs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Show the stored certificates, or rotate them.",
        usage: "extc certs <files>... [--rotate leaf|all] [--grace <d>] [<options>]",
        discussion: """
            --rotate leaf issues new leaf certificates under the same CAs (the caBundle stays).

            --rotate all starts a two-phase rotation of a generated serving CA: the caBundle first \
            holds the old and the new CA; the first build after --grace moves the serving \
            certificate to the new CA; the first build another --grace later drops the old CA. \
            Apply the output of each build. The etcd CA (and a CA with no usable predecessor) is \
            replaced at once.
            """)

    @Argument(help: "Spec files (*.ext).")
    var files: [String]

    @Option(help: "Replace certificates: leaf, or all (CA and leaf).")
    var rotate: Rotation = .none

    @Option(help: ArgumentHelp("With --rotate all: the wait between the rotation's phases, such as 1h or 2d (default 1h).", valueName: "duration"))
    var grace: String = "1h"

    @Option(help: ArgumentHelp("Certificate state directory.", valueName: "dir"))
    var state: String?

    @OptionGroup var diagnostics: DiagnosticOptions

    func validate() throws {
        if Names.duration(grace) == nil { throw ValidationError("--grace takes a duration such as 1h, 2d or 1w") }
    }

    func run() throws {
        try finish(Commands(console: diagnostics.console).certs(Inputs(files), state: StateDirectory(override: state), rotate: rotate,
                                                                grace: Names.duration(grace)!))
    }
}

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "explain", abstract: "Explain a diagnostic code, such as E0101.")

    @Argument(help: "The code.")
    var code: String?

    @Flag(help: "List every code.")
    var list = false

    @Flag(help: "Print every code's documentation as Markdown (docs/diagnostics.md).")
    var markdown = false

    func run() throws {
        try finish(Commands(console: Console()).explain(code, list: list, markdown: markdown))
    }
}

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a commented starting spec, checked before it is written.",
        usage: "extc init --group <g> --image <ref> --resource <plural>... [<options>]",
        discussion: """
            Examples:
              extc init --group wardle.example.com --resource flunders \\
                --image registry.example.com/wardle:v0.1.0
              extc init --group metrics.acme.io --resource nodes --resource pods \\
                --image ghcr.io/acme/metrics:v1 -o metrics.ext
            """)

    @Option(help: "The API group (a domain you own).")
    var group: String

    @Option(help: "The server's image, with a tag or digest.")
    var image: String

    @Option(help: "A resource it serves (a lowercase plural); repeatable.")
    var resource: [String]

    @Option(help: "The apiserver's name (default: the group's first label).")
    var name: String?

    @Option(help: "Its namespace (default: its name).")
    var namespace: String?

    @Option(help: "Its Service's name.")
    var service: String = "api"

    @Option(help: "The versions it serves, space-separated in one value.")
    var versions: String = "v1alpha1"

    @Option(help: "An etcd for a server that keeps state: sidecar or cluster.")
    var storage: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the spec here (never over an existing file); default: stdout.", valueName: "file"))
    var output: String?

    @OptionGroup var diagnostics: DiagnosticOptions

    func validate() throws {
        if resource.isEmpty { throw ValidationError("give at least one --resource, such as --resource widgets") }
    }

    func run() throws {
        var r = InitRequest(group: group, image: image, resources: resource)
        r.name = name
        r.namespace = namespace
        r.service = service
        r.versions = versions.split(separator: " ").map(String.init)
        r.storage = storage
        r.output = output
        try finish(Commands(console: diagnostics.console).initSpec(r))
    }
}

extension DiffFormat: ExpressibleByArgument {}

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "What a change to the specs does, object by object (exit 0 same, 1 different, 2 trouble).",
        usage: "extc diff <files>... [--base <rev>] [--format human|json] [<options>]",
        discussion: """
            Compares the objects the specs produce at a git revision (--base, default HEAD) with \
            the working tree's: added, removed, and changed objects with their changed lines as a \
            unified diff. Both sides use the same public certificate state; Secret data is redacted.

            Examples:
              extc diff specs/*.ext --base main
              extc diff specs/*.ext --base origin/main --format json
            """)

    @Argument(help: "Spec files (*.ext), as the working tree has them; a quoted glob or a directory is expanded by extc.")
    var files: [String]

    @Option(help: ArgumentHelp("The git revision to compare with.", valueName: "rev"))
    var base: String = "HEAD"

    @Option(help: "Output: human, or json.")
    var format: DiffFormat = .human

    @Option(help: ArgumentHelp("Certificate state directory (default: .extc/ beside each spec).", valueName: "dir"))
    var state: String?

    @OptionGroup var diagnostics: DiagnosticOptions

    func run() throws {
        switch Commands(console: diagnostics.console).diff(Inputs(files), base: base, state: StateDirectory(override: state), format: format) {
        case .same: try finish(.success)
        case .different:
            if let failure = Console.stdoutFailure { Console.err("error: standard output: \(failure)\n"); throw ExitCode(2) }
            throw ExitCode(1)
        case .trouble: throw ExitCode(2)
        }
    }
}
