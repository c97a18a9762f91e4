import ExtcSyntax

public enum FmtMode: Sendable {
    /// Print the formatted text.
    case print
    /// Rewrite files in place.
    case write
    /// List files that are not formatted; exit 2 if any.
    case check
    /// Print a diff; with `check` also exit 2.
    case diff(check: Bool)
}

extension Commands {
    /// Formats each file. A file with syntax errors is reported and left alone.
    public func fmt(_ inputs: Inputs, mode: FmtMode) -> ExitStatus {
        let paths = inputs.paths()
        guard !paths.isEmpty else { console.error("no spec files given"); return .usage }
        var status = ExitStatus.success
        var reported: [Diagnostic] = []
        defer { console.summary(reported) }  // one count for every file, as check gives
        if case .write = mode, paths.contains(Inputs.stdin) {
            console.error("fmt --write cannot rewrite standard input; `extc fmt -` prints the formatted spec")
            return .usage
        }
        for argument in paths {
            let path: String, bytes: [UInt8]
            do { (path, bytes) = try inputs.read(argument) } catch { console.error("\(error)"); status = .ioError; continue }
            let (syntax, diagnostics) = Parser.parse(SourceFile(path: path, bytes: bytes))
            if diagnostics.contains(where: \.isError) {
                console.report(diagnostics)
                reported += diagnostics
                if status == .success { status = .specErrors }
                continue
            }
            let formatted = Printer.format(syntax)
            let original = String(decoding: bytes, as: UTF8.self)
            switch mode {
            case .print:
                Console.out(formatted)
            case .write:
                do { if try FileIO.write(formatted, to: path, mode: FileIO.mode(of: path) ?? 0o644) { Console.out("\(path)\n") } }
                catch { console.error("\(error)"); status = .ioError }
            case .check:
                if formatted != original { Console.out("\(path)\n"); if status == .success { status = .drift } }
            case .diff(let check):
                let d = LineDiff.unified(original, formatted, path: path)
                Console.out(d)
                if check, !d.isEmpty, status == .success { status = .drift }
            }
        }
        return status
    }
}
