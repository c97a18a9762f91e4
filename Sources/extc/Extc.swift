import ArgumentParser
import ExtcCerts
import ExtcDriver
import ExtcEmit
import ExtcSyntax

@main
struct Extc: ParsableCommand {
    /// The release, and the C libraries it runs with (they decide the YAML and the certificates).
    static let release = "0.2.0"

    /// A mistyped subcommand gets a did-you-mean (exit 64) instead of "unexpected arguments".
    static func main() {
        // A closed pipe on stdout is a write error (exit 74, naming it), not a silent death by
        // SIGPIPE that a caller could take for a finished run. (`git`, the one child extc runs,
        // gets the default back.)
        signal(SIGPIPE, SIG_IGN)
        let args = CommandLine.arguments.dropFirst()
        if let first = args.first, certificateCommands.contains(first) { OpenSSLWarmUp.start() }
        let names = configuration.subcommands.compactMap { $0.configuration.commandName }
        if let first = args.first, !first.hasPrefix("-"), !names.contains(first), let guess = Suggest.closest(to: first, in: names) {
            Console.err("error: unknown command `\(first)`; did you mean `\(guess)`?\nUsage: extc <subcommand>; see 'extc --help'\n")
            Foundationless.exit(64)
        }
        if args.first == "--version" {
            Console.out(versionLine + "\n")
            Foundationless.exit(0)
        }
        if let quick = QuickCommand(args) {
            do { try quick.run() } catch { exit(withError: error) }
            return
        }
        let command: ParsableCommand
        do { command = try parseAsRoot() } catch { exit(withError: error) }
        do {
            var c = command
            try c.run()
        } catch { exit(withError: error) }
    }

    /// What `--version` prints, after any subcommand too.
    static var versionLine: String { "extc \(release) (commit \(extcCommit); \(OpenSSLInfo.version); libyaml \(LibYAMLInfo.version))" }

    /// The subcommands that make or read certificates: OpenSSL's set-up starts before they are parsed.
    static let certificateCommands: Set<String> = ["build", "watch", "certs", "diff"]

    static let configuration = CommandConfiguration(
        commandName: "extc",
        abstract: "Compiles *.ext specs into the manifests of a Kubernetes extension API server.",
        discussion: """
            Exit codes:
              0   success
              1   the spec has errors
              2   --check found differences
              64  usage error
              70  internal error (a bug in extc)
              74  a file could not be read or written
            """,
        version: versionLine,
        subcommands: [Init.self, Build.self, Check.self, Fmt.self, Watch.self, Certs.self, Diff.self, Explain.self],
        defaultSubcommand: nil)
}

/// How diagnostics are shown; shared by every subcommand.
struct DiagnosticOptions: ParsableArguments {
    @Option(help: "Diagnostics as `human` text, `json` lines, `github` (Actions annotations) or `sarif` (one SARIF 2.1.0 log), on stderr.")
    var diagnostics: DiagnosticsFormat = .human

    @Option(help: "Colour: auto (on a terminal), always, never.")
    var color: ColorChoice = .auto

    var choice: DiagnosticChoice { DiagnosticChoice(format: diagnostics, color: color) }
    var console: Console { choice.console }
}

/// The diagnostic options' values, however argv was read (ArgumentParser, or `QuickArgs`).
struct DiagnosticChoice: Equatable {
    var format: DiagnosticsFormat = .human
    var color: ColorChoice = .auto

    var console: Console { Console(format: format, color: format == .human && Console.wantsColor(color.rawValue)) }
}

enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never
}

extension DiagnosticsFormat: ExpressibleByArgument {}

/// Ends the process with an extc exit status. Output that did not reach stdout (a full disk, a
/// closed pipe, /dev/full) turns success into 74: a truncated product never passes as one.
func finish(_ status: ExitStatus) throws {
    if SARIFLog.active { Console.err(SARIFLog.render(version: Extc.release, succeeded: status == .success)) }
    if status == .success, let failure = Console.stdoutFailure {
        Console.err("error: standard output: \(failure)\n")
        throw ExitCode(ExitStatus.ioError.rawValue)
    }
    if status != .success { throw ExitCode(status.rawValue) }
}

#if canImport(Glibc)
import Glibc
#endif

/// `exit(3)` without Foundation.
enum Foundationless {
    static func exit(_ code: Int32) -> Never { Glibc.exit(code) }
}
