import ExtcCerts
import ExtcCheck
import ExtcEmit
import ExtcLower
import ExtcSyntax

extension Builder {
    /// One server's material, objects and Namespaces in this build: the steps a full build and a
    /// delta take alike for each server they look at, so both make the same of it.
    struct Lowered {
        /// nil where the memo's outcome stands (the entry carries the material it had).
        let tls: ServerTLS?
        /// The objects are the entry's: its IR (its file's bytes) and material are the same.
        let reused: Bool
        let made: [KubeObject]
        let namespaces: [Int]

        init(_ server: APIServer, previous p: BuildMemo.Entry?, known: Bool, outcome: CertOutcome?, format: OutputFormat,
             files: ConfigFiles) {
            let tls = known ? nil : Builder.tls(outcome!)
            // (An outcome the memo gave back is its own: no need to compare the PEM text.)
            (self.tls, reused) = (tls, p.map { $0.format == format && (known || $0.tls == tls!) } ?? false)
            if reused, let p {
                (made, namespaces) = (p.objects, p.namespaces)
            } else {
                made = Lowering.objects(of: server, tls: tls ?? p!.tls, files: files)
                namespaces = Lowering.namespaces(made)
            }
        }

        /// The entry's list of carried objects, when it stands with these Namespaces left out.
        func kept(_ p: BuildMemo.Entry?, leftOut: [Int]) -> [Int]? {
            guard reused, let p, p.leftOut == leftOut else { return nil }
            return p.kept
        }

        /// The cross-object findings: the entry's while the server keeps the same objects.
        func checks(_ server: APIServer, carried: [Int], previous p: BuildMemo.Entry?) -> [Diagnostic] {
            if reused, let p, p.kept == carried { return p.checks }
            return CrossCheck.verify(server: server, objects: carried.map { made[$0] })
        }
    }
}

extension BuildOutput {
    /// A build that stopped at errors: nothing to write.
    static func failed(_ notes: [String], _ diagnostics: [Diagnostic]) -> BuildOutput {
        BuildOutput(objects: [], files: [], withheld: nil, notes: notes, diagnostics: diagnostics)
    }

    /// A finished build's output from its assembly.
    static func built(_ assembly: Assembly, options: BuildOptions, notes: [String], diagnostics: [Diagnostic], memo: BuildMemo?,
                      changes: (from: Int, places: [Int])?) -> BuildOutput {
        let all = assembly.objects
        let objects = options.includeSecrets ? all : all.filter { !$0.sensitive }
        let withheld = options.includeSecrets ? nil : Layouts.withheldNames(all, layout: options.layout, format: options.format)
        return BuildOutput(objects: objects, files: assembly.outputFiles, withheld: withheld, notes: notes, diagnostics: diagnostics,
                           generation: memo == nil ? nil : assembly.generation, changes: changes)
    }
}
