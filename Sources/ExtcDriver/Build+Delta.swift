import ExtcCerts
import ExtcCheck
import ExtcEmit
import ExtcLower
import ExtcSyntax

extension Builder {
    /// What a delta did: built, or gave way to a full build (which takes the outcomes it made).
    enum Delta {
        case built(BuildOutput)
        case regroup([Int: CertOutcome])
    }

    /// A watch's build that looks only at the servers at `places` (`BuildMemo.delta`).
    ///
    /// Invariant: it makes exactly what `full` makes of the same program. Every other server's
    /// entry stands (the memo's `delta` says so), and for such a server `full` takes the entry's
    /// objects, Namespaces, carried list, findings, texts and paths as they are: the memo's
    /// columns and paths, which a delta changes at `places` alone, with the same per-server
    /// steps (`Lowered`) as `full`. Who shares which Namespace stands while each server looked at
    /// makes the Namespaces its entry made, at the same places; when one does not, the delta
    /// gives way (`regroup`) before it has changed anything in the memo.
    static func delta(_ program: Program, places: [Int], options: BuildOptions, certs: CertBackend, memo: BuildMemo,
                      now: Int) throws -> Delta {
        let servers = program.servers
        let look = places.map { servers[$0] }
        let previous = look.map(memo.entry(for:))
        let known = memo.standing(previous, look, certs: certs, rotate: options.rotate, now: now)
        let (outcomes, notes, certDiagnostics) = Self.outcomes(look, known: known, options: options, certs: certs)
        let (configFiles, fileDiagnostics) = ConfigFileReader.read(look)
        var diagnostics = certDiagnostics + fileDiagnostics
        guard !diagnostics.contains(where: \.isError) else { return .built(.failed(notes, diagnostics)) }
        let lowered = look.indices.map { k in
            Lowered(look[k], previous: previous[k], known: known[k], outcome: outcomes[k], format: options.format, files: configFiles)
        }
        let last = places.map(memo.lastEntry(at:))
        let standing = lowered.indices.allSatisfy { k in Self.makesNamespaces(lowered[k].made, lowered[k].namespaces, as: last[k]) }
        guard standing else { return .regroup(Dictionary(uniqueKeysWithValues: outcomes.map { (places[$0.key], $0.value) })) }
        let carried = lowered.indices.map { k in
            Lowering.carried([lowered[k].made], namespaces: [lowered[k].namespaces], leftOut: [last[k].leftOut]) { _, leftOut in
                lowered[k].kept(previous[k], leftOut: leftOut)
            }[0]
        }
        let checks = look.indices.map { k in lowered[k].checks(look[k], carried: carried[k], previous: previous[k]) }
        diagnostics += checks.flatMap { $0 }  // no entry standing has any (`BuildMemo.delta`)
        guard !diagnostics.contains(where: \.isError) else { return .built(.failed(notes, diagnostics)) }

        // From here on the memo's columns and paths are this build's, changed in place.
        var columns = memo.takeColumns()!
        for (k, i) in places.enumerated() {
            (columns.made[i], columns.namespaces[i], columns.carried[i], columns.checks[i]) =
                (lowered[k].made, lowered[k].namespaces, carried[k], checks[k])
        }
        if columns.documents != nil { try Self.documents(places, lowered, previous, into: &columns.documents!) }
        var paths = options.layout == .stream ? nil : memo.takePaths(options.layout, count: servers.count)
        if paths != nil { Self.paths(places, lowered, previous, options: options, into: &paths!) }
        let same = places.indices.map { k in lowered[k].reused && previous[k]!.kept == carried[k] }
        let (assembly, changes) = try Self.assemble(columns, names: memo.lastNames, paths: paths, options: options,
                                                   changed: places.indices.filter { !same[$0] }.map { places[$0] }, memo: memo,
                                                   generation: memo.generation + 1)
        let entries = places.indices.map { k in
            Self.entry(at: places[k], look[k], previous: previous[k], known: known[k], same: same[k], outcome: outcomes[k], lowered: lowered[k],
                       columns: columns, paths: paths, options: options, memo: memo, now: now)
        }
        let fresh = (certificates: known.filter { !$0 }.count, objects: lowered.filter { !$0.reused }.count)
        memo.record(entries, at: places, of: servers,
                    reuse: BuildMemo.Reuse(servers: servers.count, certificates: servers.count - fresh.certificates,
                                           objects: servers.count - fresh.objects),
                    columns: columns, assembly: assembly, paths: paths)
        return .built(.built(assembly, options: options, notes: notes, diagnostics: diagnostics, memo: memo, changes: changes))
    }
}
