import ExtcCerts
import ExtcCheck
import ExtcEmit
import ExtcLower
import ExtcSyntax

public struct BuildOptions: Sendable {
    public var layout: Layout = .stream
    public var format: OutputFormat = .yaml
    public var includeSecrets = true
    public var rotate: Rotation = .none

    public init() {}
}

/// A finished build: objects, rendered files, what the cert backend did.
public struct BuildOutput: Sendable {
    public let objects: [KubeObject]
    public let files: [OutputFile]
    /// The files a build without Secrets leaves out of a layout (and leaves alone on disk); nil
    /// when the build includes them.
    public let withheld: [String]?
    public let notes: [String]
    public let diagnostics: [Diagnostic]
    /// Which build of a watch this is (nil outside one).
    public let generation: Int?
    /// When this build patched the one before (`Assembly`): that build's generation, and the
    /// places in `files` (a layout) or in the stream's documents whose text differs from it.
    public let changes: (from: Int, places: [Int])?

    init(objects: [KubeObject], files: [OutputFile], withheld: [String]?, notes: [String], diagnostics: [Diagnostic],
         generation: Int? = nil, changes: (from: Int, places: [Int])? = nil) {
        (self.objects, self.files, self.withheld, self.notes, self.diagnostics) = (objects, files, withheld, notes, diagnostics)
        (self.generation, self.changes) = (generation, changes)
    }

    public var failed: Bool { diagnostics.contains { $0.isError } }
    public var internalFailure: Bool { diagnostics.contains { $0.code == .internalInvariant } }
}

/// IR -> certificates -> objects -> cross-object checks -> rendered files. Writes nothing but the
/// cert state; the caller decides where output goes. With a memo (a watch session), each server
/// whose inputs are unchanged keeps its material, objects, checks and text from the last build;
/// when the memo can say which servers changed (`BuildMemo.delta`), the build looks at those alone.
public enum Builder {
    public static func build(_ program: Program, options: BuildOptions, certs: CertBackend, memo: BuildMemo? = nil) throws -> BuildOutput {
        let now = certs.env.now()
        guard let memo, let places = memo.delta(program.servers, options: options, now: now) else {
            return try full(program, options: options, certs: certs, memo: memo, now: now)
        }
        switch try delta(program, places: places, options: options, certs: certs, memo: memo, now: now) {
        case .built(let output): return output
        case .regroup(let made): return try full(program, options: options, certs: certs, memo: memo, now: now, made: made)
        }
    }

    /// Every server looked at. `made`: outcomes a delta made before it gave way, by server index.
    static func full(_ program: Program, options: BuildOptions, certs: CertBackend, memo: BuildMemo?, now: Int,
                     made given: [Int: CertOutcome] = [:]) throws -> BuildOutput {
        let servers = program.servers
        let previous = memo?.entries(for: servers) ?? servers.map { _ in nil }
        let known = memo?.standing(previous, servers, certs: certs, rotate: options.rotate, now: now)
            ?? [Bool](repeating: false, count: servers.count)
        let (outcomes, notes, certDiagnostics) = Self.outcomes(servers, known: known, options: options, certs: certs, given: given)
        let (configFiles, fileDiagnostics) = ConfigFileReader.read(servers)
        var diagnostics = certDiagnostics + fileDiagnostics
        guard !diagnostics.contains(where: \.isError) else { return .failed(notes, diagnostics) }
        let lowered = servers.indices.map { i in
            Lowered(servers[i], previous: previous[i], known: known[i], outcome: outcomes[i], format: options.format, files: configFiles)
        }
        let made = lowered.map(\.made), namespaces = lowered.map(\.namespaces), reused = lowered.map(\.reused)
        let aligned = memo?.alignedEntries(servers)
        let leftOut = Self.leftOut(made, namespaces: namespaces, reused: reused, previous: previous, last: aligned)
        let carried = Lowering.carried(made, namespaces: namespaces, leftOut: leftOut) { s, leftOut in
            lowered[s].kept(previous[s], leftOut: leftOut)
        }
        let checks = servers.indices.map { i in lowered[i].checks(servers[i], carried: carried[i], previous: previous[i]) }
        diagnostics += checks.flatMap { $0 }
        guard !diagnostics.contains(where: \.isError) else { return .failed(notes, diagnostics) }
        let documents = try Self.documents(lowered, previous: previous, format: options.format)
        let paths = Self.paths(lowered, previous: previous, options: options, memo: memo, aligned: aligned)
        let columns = BuildMemo.Columns(made: made, namespaces: namespaces, carried: carried, checks: checks, documents: documents)
        // A server whose objects and their place in the output are as in the last build.
        let same = servers.indices.map { i in reused[i] && previous[i]!.kept == carried[i] }
        let generation = (memo?.generation ?? 0) + 1
        let (assembly, changes) = try Self.assemble(columns, names: servers.map(\.name.value), paths: paths, options: options,
                                                   changed: servers.indices.filter { !same[$0] }, memo: memo, generation: generation)
        if let memo {
            let entries = servers.indices.map { i in
                Self.entry(at: i, servers[i], previous: previous[i], known: known[i], same: same[i], outcome: outcomes[i], lowered: lowered[i],
                           columns: columns, paths: paths, options: options, memo: memo, now: now)
            }
            memo.record(entries, of: servers, reuse: BuildMemo.Reuse(servers: servers.count, certificates: known.filter { $0 }.count,
                                                                    objects: reused.filter { $0 }.count),
                        options: options, columns: columns, assembly: assembly, paths: paths)
        }
        return .built(assembly, options: options, notes: notes, diagnostics: diagnostics, memo: memo, changes: changes)
    }

    /// The certificate outcomes made now, by server index: every server's but where the memo's
    /// still stands (`known`), as that entry has it; made at once, on every core, in program
    /// order, with what making them said. (Keyed, not an array of a thousand optionals: a save
    /// in a watch makes one or none.) `given`: some already made.
    static func outcomes(_ servers: [APIServer], known: [Bool], options: BuildOptions, certs: CertBackend,
                         given: [Int: CertOutcome] = [:]) -> (outcomes: [Int: CertOutcome], notes: [String], diagnostics: [Diagnostic]) {
        var outcomes = given
        let asked = servers.indices.filter { !known[$0] }
        let ask = asked.filter { given[$0] == nil }
        outcomes.reserveCapacity(asked.count)
        for (i, outcome) in zip(ask, certs.materials(for: ask.map { servers[$0] }, rotate: options.rotate)) { outcomes[i] = outcome }
        var notes: [String] = [], diagnostics: [Diagnostic] = []
        for i in asked {
            notes += outcomes[i]!.notes
            diagnostics += outcomes[i]!.diagnostics
        }
        return (outcomes, notes, diagnostics)
    }

    /// The output: the last build's patched where the servers in `changed` go, or assembled in full.
    static func assemble(_ columns: BuildMemo.Columns, names: [String], paths: [[String]]?, options: BuildOptions, changed: [Int],
                         memo: BuildMemo?, generation: Int) throws -> (Assembly, changes: (from: Int, places: [Int])?) {
        let parts = Assembly.Parts(names: names, made: columns.made, carried: columns.carried, documents: columns.documents, paths: paths)
        if let (patched, places) = memo?.takeAssembly()?.patched(parts, changed: changed, options: options, generation: generation) {
            return (patched, (generation - 1, places))
        }
        return (try Assembly.full(parts, options: options, generation: generation), nil)
    }

    /// The memo's entry for server `i`: the last one, where everything was kept (the outcome too).
    static func entry(at i: Int, _ server: APIServer, previous p: BuildMemo.Entry?, known: Bool, same: Bool, outcome: CertOutcome?,
                      lowered: Lowered, columns: BuildMemo.Columns, paths: [[String]]?, options: BuildOptions, memo: BuildMemo,
                      now: Int) -> BuildMemo.Entry {
        if known, same, let p, columns.documents == nil || p.documents != nil, paths == nil || p.paths != nil { return p }
        let carried = columns.carried[i]
        return BuildMemo.Entry(revision: memo.revision(of: server), outcome: outcome ?? p!.outcome, checkedAt: known ? p!.checkedAt : now,
                               tls: lowered.tls ?? p!.tls, format: options.format, objects: lowered.made, kept: carried,
                               namespaces: lowered.namespaces, leftOut: lowered.namespaces.filter { !carried.contains($0) },
                               checks: columns.checks[i], documents: columns.documents?[i], layout: options.layout, paths: paths?[i])
    }

    /// Each server's Namespaces that an earlier server makes, as the last build had them, when
    /// that still holds: the servers are the last build's, in its order (`last`), and each made
    /// the same Namespaces, at the same places, as then. nil: `Lowering.carried` works them out.
    static func leftOut(_ made: [[KubeObject]], namespaces: [[Int]], reused: [Bool], previous: [BuildMemo.Entry?],
                        last: [BuildMemo.Entry]?) -> [[Int]]? {
        guard let last, last.count == made.count else { return nil }
        for i in made.indices where !(reused[i] && previous[i] === last[i]) {
            guard makesNamespaces(made[i], namespaces[i], as: last[i]) else { return nil }
        }
        return last.map(\.leftOut)
    }

    /// Whether a server's objects have their Namespaces at the places, and with the names, that
    /// an entry's had: then who shares which Namespace stands as that build worked it out.
    static func makesNamespaces(_ made: [KubeObject], _ namespaces: [Int], as before: BuildMemo.Entry) -> Bool {
        namespaces == before.namespaces && namespaces.allSatisfy { made[$0].name == before.objects[$0].name }
    }

    /// The PEM text one server's objects carry.
    static func tls(_ outcome: CertOutcome) -> ServerTLS {
        let etcd = outcome.etcd.map { e in
            EtcdPEM(caPEM: e.caPEM, server: (e.server.certPEM, e.server.keyPEM), peer: (e.peer.certPEM, e.peer.keyPEM),
                    client: (e.client.certPEM, e.client.keyPEM))
        }
        var serving: ServingPEM? = nil
        if case .inline(let p)? = outcome.material { serving = ServingPEM(caPEM: p.caPEM, certPEM: p.certPEM, keyPEM: p.keyPEM, bundlePEM: p.bundlePEM) }
        return ServerTLS(serving: serving, etcd: etcd)
    }

    /// Each server's objects' paths in a directory layout (nil for the stream). With the last
    /// build's paths in this layout (`BuildMemo.takePaths`) and its entries, when its servers are
    /// these in this order (`aligned`): a server reused with the very entry the last build had at
    /// its place keeps the paths at that place without being looked at (they are `Layouts.paths`
    /// of the same objects), and the array, taken from the memo, is changed in place.
    static func paths(_ lowered: [Lowered], previous: [BuildMemo.Entry?], options: BuildOptions, memo: BuildMemo?,
                      aligned: [BuildMemo.Entry]?) -> [[String]]? {
        guard options.layout != .stream else { return nil }
        let all = Array(lowered.indices)
        guard let aligned, var out = memo?.takePaths(options.layout, count: lowered.count) else {
            var out = [[String]](repeating: [], count: lowered.count)
            paths(all, lowered, previous, options: options, into: &out)
            return out
        }
        let places = all.filter { !(lowered[$0].reused && previous[$0] === aligned[$0]) }
        paths(places, places.map { lowered[$0] }, places.map { previous[$0] }, options: options, into: &out)
        return out
    }

    /// The paths of the servers at `places` (`lowered` and `previous` theirs, in the same order),
    /// written into `out` there: the entry's for a reused server built with the same layout, else made.
    static func paths(_ places: [Int], _ lowered: [Lowered], _ previous: [BuildMemo.Entry?], options: BuildOptions,
                      into out: inout [[String]]) {
        for (k, i) in places.enumerated() {
            if lowered[k].reused, let p = previous[k], p.layout == options.layout, let paths = p.paths {
                out[i] = paths
            } else {
                out[i] = Layouts.paths(lowered[k].made, layout: options.layout, format: options.format)!
            }
        }
    }

    /// Each server's objects' texts (YAML; nil for JSON).
    static func documents(_ lowered: [Lowered], previous: [BuildMemo.Entry?], format: OutputFormat) throws -> [[String]]? {
        guard format == .yaml else { return nil }
        var out = [[String]](repeating: [], count: lowered.count)
        try documents(Array(lowered.indices), lowered, previous, into: &out)
        return out
    }

    /// The texts of the servers at `places` (`lowered` and `previous` theirs, in the same
    /// order), written into `out` there: the entry's for a reused server, the rest emitted
    /// together, on every core.
    static func documents(_ places: [Int], _ lowered: [Lowered], _ previous: [BuildMemo.Entry?], into out: inout [[String]]) throws {
        var fresh: [Int] = []
        for k in places.indices {
            if lowered[k].reused, let texts = previous[k]?.documents { out[places[k]] = texts } else { fresh.append(k) }
        }
        var texts = try Emit.documents(fresh.flatMap { lowered[$0].made }, format: .yaml)?[...] ?? []
        for k in fresh {
            let count = lowered[k].made.count
            out[places[k]] = Array(texts.prefix(count))
            texts = texts.dropFirst(count)
        }
    }
}
