import ArgumentParser
import ExtcCerts
import ExtcDriver
import ExtcEmit

extension Layout: ExpressibleByArgument {}
extension OutputFormat: ExpressibleByArgument {}
extension Rotation: ExpressibleByArgument {}

/// Output and certificate options shared by `build` and `watch` (`--stdin-filename` is build's).
struct OutputOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: ArgumentHelp("Write the output to this file (stream) or directory (dir, kustomize).", valueName: "path"))
    var output: String?

    @Option(help: ArgumentHelp("Write one file per object into this directory (implies --layout dir).", valueName: "dir"))
    var outDir: String?

    @Option(help: "Output layout: stream, dir, or kustomize.")
    var layout: Layout?

    @Option(help: "Output format: yaml, or json (a v1 List; one object per file in dir layouts).")
    var format: OutputFormat = .yaml

    @Flag(help: "Leave out the TLS Secret (private key), for a reviewable build.")
    var noSecrets = false

    @Option(help: ArgumentHelp("Certificate state directory (default: .extc/ beside each spec).", valueName: "dir"))
    var state: String?

    var choice: OutputChoice {
        OutputChoice(output: output, outDir: outDir, layout: layout, format: format, noSecrets: noSecrets, state: state)
    }

    func validate() throws {
        if let problem = choice.problem { throw ValidationError(problem) }
    }
}

/// The output options' values, however argv was read (ArgumentParser, or `QuickArgs`).
struct OutputChoice: Equatable {
    var output: String? = nil
    var outDir: String? = nil
    var layout: Layout? = nil
    var format: OutputFormat = .yaml
    var noSecrets = false
    var state: String? = nil
    var stdinFilename: String? = nil

    /// The first combination `build` and `watch` refuse.
    var problem: String? {
        if output != nil, outDir != nil { return "give -o or --out-dir, not both" }
        if outDir != nil, layout == .stream { return "--out-dir writes the dir or kustomize layout" }
        if let layout, layout != .stream, output == nil, outDir == nil { return "the \(layout.rawValue) layout needs -o DIR or --out-dir DIR" }
        return nil
    }

    func request(_ files: [String]) -> BuildRequest {
        var r = BuildRequest(inputs: Inputs(files, stdinName: stdinFilename))
        let layout = self.layout ?? (outDir != nil ? .dir : .stream)
        r.options.layout = layout
        r.options.format = format
        r.options.includeSecrets = !noSecrets
        if let dir = outDir ?? (layout != .stream ? output : nil) { r.target = .directory(dir) }
        else if let file = output { r.target = .file(file) }
        r.state = StateDirectory(override: state)
        return r
    }
}

struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Compile specs into apply-ready manifests.",
        usage: "extc build <files>... [-o <path> | --out-dir <dir>] [<options>]",
        discussion: """
            Examples:
              extc build samples/wardle.ext | kubectl apply -f -
              extc build samples/*.ext -o manifests.yaml
              extc build samples/wardle.ext --layout kustomize -o deploy/
              extc build samples/wardle.ext --no-secrets --out-dir deploy/ --check
            """)

    @Argument(help: "Spec files (*.ext); `-` reads standard input. A quoted glob is expanded by extc.")
    var files: [String]

    @OptionGroup var out: OutputOptions
    @OptionGroup var diagnostics: DiagnosticOptions

    @Flag(help: "Write nothing; exit 2, naming each file, if the output on disk differs from what the specs produce.")
    var check = false

    @Flag(help: "With --check: print a unified diff of each file that differs (files holding keys are named, not shown).")
    var diff = false

    /// build's own: watch does not read standard input.
    @Option(help: ArgumentHelp("The name standard input (`-`) goes by: in messages, and for the state (.extc/ beside it) and relative paths.", valueName: "path"))
    var stdinFilename: String?

    var arguments: BuildArguments {
        var choice = out.choice
        choice.stdinFilename = stdinFilename
        return BuildArguments(files: files, out: choice, diagnostics: diagnostics.choice, check: check, diff: diff)
    }

    func validate() throws {
        if let problem = arguments.problem { throw ValidationError(problem) }
    }

    func run() throws { try arguments.run() }
}

/// What `extc build` was asked, however argv was read (ArgumentParser, or `QuickArgs`).
struct BuildArguments: Equatable {
    var files: [String]
    var out = OutputChoice()
    var diagnostics = DiagnosticChoice()
    var check = false
    var diff = false

    /// The first combination `build` refuses beyond the output options' (`OutputChoice.problem`,
    /// which ArgumentParser checks first).
    var problem: String? {
        if check, out.output == nil, out.outDir == nil { return "--check compares with -o FILE or --out-dir DIR" }
        if diff, !check { return "--diff goes with --check" }
        return nil
    }

    func run() throws {
        var request = out.request(files)
        request.check = check
        request.showDiff = diff
        var commands = Commands(console: diagnostics.console)
        commands.endsProcess = true
        try finish(commands.build(request))
    }
}

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Build, then rebuild on every change to a spec (or a CA file it names).",
        usage: "extc watch <files>... [-o <path> | --out-dir <dir>] [<options>]",
        discussion: """
            Output is replaced atomically and only when it changes; after an error the previous \
            output stays. Ends cleanly on Ctrl-C, SIGTERM or SIGHUP. With -o FILE, the file a save \
            replaces waits in .FILE.extc-new-*/ beside it (mode 0700, git-ignored) to be written \
            over by the next save; the watch removes it when it ends.

            Examples:
              extc watch samples/wardle.ext --out-dir deploy/
              extc watch 'specs/*.ext' -o all.yaml
            """)

    @Argument(help: "Spec files (*.ext). A quoted glob also picks up files added later.")
    var files: [String]

    @OptionGroup var out: OutputOptions
    @OptionGroup var diagnostics: DiagnosticOptions

    @Option(help: "Quiet time in milliseconds after the last change before rebuilding.")
    var settle: Int32 = 50

    @Flag(help: "Build once and exit.")
    var once = false

    func validate() throws {
        if out.output == nil, out.outDir == nil { throw ValidationError("watch needs -o FILE or --out-dir DIR") }
        if files.contains("-") { throw ValidationError("watch rebuilds when files change; it cannot watch standard input (-)") }
        if settle < 0 || settle > 10_000 { throw ValidationError("--settle is 0 to 10000 ms") }
    }

    func run() throws {
        var request = WatchRequest(build: out.choice.request(files))
        request.settleMilliseconds = settle
        request.once = once
        try finish(Watcher(request, console: diagnostics.console).run())
    }
}
