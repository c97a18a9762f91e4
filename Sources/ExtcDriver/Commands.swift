import ExtcCerts
import ExtcCheck
import ExtcEmit
import ExtcLower
import ExtcSyntax

public enum OutputTarget: Sendable, Equatable {
    case stdout
    case file(String)
    case directory(String)

    /// The file or directory written; nil for stdout.
    public var path: String? {
        switch self {
        case .stdout: return nil
        case .file(let path), .directory(let path): return path
        }
    }
}

/// Everything `extc build` takes.
public struct BuildRequest: Sendable {
    public var inputs: Inputs
    public var target: OutputTarget = .stdout
    public var options = BuildOptions()
    public var check = false
    /// With `check`: print a unified diff of each file that differs.
    public var showDiff = false
    public var state = StateDirectory()
    public var env = CertEnvironment.system

    public init(inputs: Inputs) { self.inputs = inputs }
}

/// The subcommands' logic. Each returns the exit status; all output goes through `Console`.
public struct Commands {
    public let console: Console
    /// The process ends when the command returns (the CLI's case): what `build` made is kept
    /// until then rather than freed first (`UntilExit`).
    public var endsProcess = false

    public init(console: Console) { self.console = console }

    /// Parses and checks; reports diagnostics. nil: stop with the returned status.
    /// `paths`: the files the inputs name, when the caller knows them (a watch); `touched`: see
    /// `FrontEnd.compile`.
    func compile(_ inputs: Inputs, paths known: [String]? = nil, frontEnd: FrontEnd = FrontEnd(),
                 touched: Set<String>? = nil) -> (FrontEnd.Result?, ExitStatus) {
        let paths = known ?? inputs.paths()
        guard !paths.isEmpty else {
            console.error("no spec files match \(inputs.arguments.joined(separator: " "))")
            return (nil, .usage)
        }
        do {
            let result = try frontEnd.compile(paths: paths, inputs: inputs, touched: touched)
            return (result, result.hasErrors ? .specErrors : .success)
        } catch {
            console.error("\(error)")
            return (nil, .ioError)
        }
    }

    /// Every diagnostic a build could raise from the specs and the files they name, writing
    /// nothing. `denyWarnings`: any warning fails the check (exit 1).
    /// `publicOnly`: what a `--no-secrets` build would report (the committed certificates, no key).
    public func check(_ inputs: Inputs, state: StateDirectory, env: CertEnvironment = .system, denyWarnings: Bool = false,
                      publicOnly: Bool = false) -> ExitStatus {
        let (result, status) = compile(inputs)
        guard let result else { return status }
        var diagnostics = result.diagnostics
        if let program = result.program {
            Safety.disableCoreDumps()  // the gate reads keys (to match them with their certificates)
            let backend = CertBackend(state: state, env: env, dryRun: true, publicOnly: publicOnly)
            diagnostics += backend.gate(program.servers)
            diagnostics += ConfigFileReader.read(program).1
        }
        diagnostics = diagnostics.sortedBySource()
        console.report(diagnostics)
        console.summary(diagnostics)
        if let program = result.program, program.servers.isEmpty, status == .success {
            console.error("the specs define no apiserver, so a build would have nothing to build")
            return .specErrors
        }
        if diagnostics.contains(where: { $0.code == .stateUnusable }) { return .ioError }  // as a build exits
        if diagnostics.contains(where: \.isError) { return status == .success ? .specErrors : status }
        if denyWarnings, !diagnostics.isEmpty {
            console.error("warnings are denied (--deny warnings)")
            return .specErrors
        }
        return status
    }

    public func build(_ request: BuildRequest) -> ExitStatus {
        let (result, status) = compile(request.inputs)
        guard let result else { return status }
        if let refusal = WriteGuard(target: request.target, inputs: result.files.map(\.file.path), state: request.state).refusal(result.program) {
            console.error(refusal)
            return .usage
        }
        console.report(result.diagnostics)
        guard let program = result.program else { console.summary(result.diagnostics); return status }
        if program.servers.isEmpty {
            // An empty or truncated spec must not replace (or, in a directory, delete) the output.
            console.error("the specs define no apiserver, so there is nothing to build; the output was left as it was")
            return .specErrors
        }
        Safety.disableCoreDumps()
        Safety.cleanUpOnSignals()
        var options = request.options
        // Keys are not shown on a terminal: only a pipe or a file gets the Secret.
        let withheld = request.target == .stdout && Console.stdoutIsTerminal && options.includeSecrets
        if withheld { options.includeSecrets = false }
        // A drift check of reviewable output needs only the committed public certificates.
        let backend = CertBackend(state: request.state, env: request.env, dryRun: request.check,
                                  publicOnly: request.check && !request.options.includeSecrets)
        let output: BuildOutput
        do { output = try Builder.build(program, options: options, certs: backend) } catch let e as IOError {
            console.error("\(e)")
            return .ioError
        } catch {
            console.error("emitting output failed: \(error)")
            return .internalError
        }
        for n in output.notes { console.note(n) }
        console.report(output.diagnostics)
        if output.internalFailure { return .internalError }
        if output.failed {
            return output.diagnostics.contains { $0.code == .stateUnusable } ? .ioError : .specErrors
        }
        if withheld, program.servers.contains(where: { $0.certs.ca.value != .certManager }) {
            console.note("the Secrets (private keys) are not printed to a terminal; pipe the output (`| kubectl apply -f -`) or use -o FILE to include them")
        }
        defer { if endsProcess { UntilExit.keep([output, result]) } }
        return write(output, to: request.target, check: request.check, showDiff: request.showDiff)
    }

    /// With `--check --diff`: what would change in one file, as a unified diff on stdout. A file
    /// holding private keys is named, never shown.
    private func showChange(_ path: String, _ file: OutputFile) {
        showDiff(path, to: file.contents, label: "(built)", sensitive: file.sensitive)
    }

    /// The unified diff from the file at `path` to `new`; of a file that holds keys (`sensitive`,
    /// the new side) or may hold them on disk (`OutputWriter.diffableText`), only the header:
    /// neither side is ever printed.
    private func showDiff(_ path: String, to new: String, label: String, sensitive: Bool) {
        guard !sensitive, let old = OutputWriter.diffableText(path) else {
            Console.out("--- \(path)\n+++ \(path) \(label)\n(holds private keys: not shown)\n")
            return
        }
        Console.out(LineDiff.unified(old, new, path: path, label: label))
    }

    private func write(_ output: BuildOutput, to target: OutputTarget, check: Bool, showDiff: Bool = false) -> ExitStatus {
        do {
            switch target {
            case .stdout:
                let text = output.files.first?.contents ?? ""
                if output.files.first?.sensitive == true, !Safety.protectStdout() {
                    console.error("standard output is a file or FIFO others can read, and extc cannot make it private; the TLS Secret was not written (use -o FILE, a pipe, or --no-secrets)")
                    return .ioError
                }
                guard Console.write(1, text) else { throw IOError.errno("standard output", "cannot write") }
                return .success
            case .file(let path):
                if FileIO.isDirectory(path) {
                    console.error("\(path) is a directory, and -o writes the stream to a file; for one file per object there, use `--out-dir \(path)`")
                    return .ioError
                }
                let changed = try OutputWriter.write(output.files[0], toFile: path, dryRun: check)
                if !check, output.files[0].sensitive, let exposure = Git.exposure(of: path) { console.warning(exposure) }
                if check, changed {
                    console.error(FileIO.exists(path) ? "\(path) is not what the spec produces; run `extc build` without --check"
                                                      : "\(path) is missing; run `extc build` without --check to write it")
                    if showDiff { showChange(path, output.files[0]) }
                }
                return check && changed ? .drift : .success
            case .directory(let given):
                let dir = given.count > 1 && given.hasSuffix("/") ? String(given.dropLast()) : given  // `deploy/x`, not `deploy//x`
                let report = try OutputWriter.write(output.files, toDirectory: dir, withheld: output.withheld, dryRun: check)
                if check, report.changed {
                    for f in report.written {
                        console.error(FileIO.exists("\(dir)/\(f)") ? "\(dir)/\(f) differs from what the spec produces" : "\(dir)/\(f) is missing")
                        if showDiff, let file = output.files.first(where: { $0.name == f }) { showChange("\(dir)/\(f)", file) }
                    }
                    for f in report.removed {
                        console.error("\(dir)/\(f) is no longer produced by the spec")
                        if showDiff { self.showDiff("\(dir)/\(f)", to: "", label: "(no longer built)", sensitive: report.removedSecrets.contains(f)) }
                    }
                    return .drift
                }
                return .success
            }
        } catch {
            console.error("\(error)")
            return .ioError
        }
    }
}

/// What a one-shot command made, kept until the process exits. The process ends right after the
/// output is written, and the exit frees everything at once; releasing a large build's objects
/// one by one first (14,000 Kubernetes objects and their trees at 1,000 servers) costs the
/// warm build about a tenth of its time. Compilers skip that work at exit for the same reason.
/// Only a command that ends the process keeps anything (`Commands.endsProcess`), on its one thread.
enum UntilExit {
    nonisolated(unsafe) private static var kept: [Any] = []

    static func keep(_ value: Any) { kept.append(value) }
}
