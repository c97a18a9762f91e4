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
/// whose inputs are unchanged keeps its material, objects, checks and text from the last build.
public enum Builder {
    public static func build(_ program: Program, options: BuildOptions, certs: CertBackend, memo: BuildMemo? = nil) throws -> BuildOutput {
        let servers = program.servers, now = certs.env.now()
        let previous = memo?.entries(for: servers) ?? servers.map { _ in nil }
        let (outcomes, known, notes, certDiagnostics) = Self.outcomes(servers, previous, options: options, certs: certs, memo: memo, now: now)
        var diagnostics = certDiagnostics
        let (configFiles, fileDiagnostics) = ConfigFileReader.read(program)
        diagnostics += fileDiagnostics
        guard !diagnostics.contains(where: \.isError) else {
            return BuildOutput(objects: [], files: [], withheld: nil, notes: notes, diagnostics: diagnostics)
        }
        // The material a server's objects carry; nil where the memo's outcome stands (its entry
        // has the material it carried last time).
        let tls = servers.indices.map { i in known[i] ? nil : Self.tls(outcomes[i]!) }
        // Each server's objects: kept while its IR (its file's bytes) and material are the same.
        // (An outcome the memo gave back is its own: no need to compare the PEM text.)
        let reused = servers.indices.map { i in
            guard let p = previous[i], p.format == options.format else { return false }
            return known[i] || p.tls == tls[i]!
        }
        let made = servers.indices.map { i in
            reused[i] ? previous[i]!.objects : Lowering.objects(of: servers[i], tls: tls[i] ?? previous[i]!.tls, files: configFiles)
        }
        let namespaces = servers.indices.map { i in reused[i] ? previous[i]!.namespaces : Lowering.namespaces(made[i]) }
        let aligned = memo?.alignedEntries(servers)
        let leftOut = Self.leftOut(made, namespaces: namespaces, reused: reused, previous: previous, last: aligned)
        let carried = Lowering.carried(made, namespaces: namespaces, leftOut: leftOut) { s, leftOut in
            guard reused[s], let p = previous[s], p.leftOut == leftOut else { return nil }
            return p.kept
        }
        let checks = servers.indices.map { i in
            reused[i] && previous[i]!.kept == carried[i] ? previous[i]!.checks
                : CrossCheck.verify(server: servers[i], objects: carried[i].map { made[i][$0] })
        }
        diagnostics += checks.flatMap { $0 }
        guard !diagnostics.contains(where: \.isError) else {
            return BuildOutput(objects: [], files: [], withheld: nil, notes: notes, diagnostics: diagnostics)
        }
        let documents = try Self.documents(made, reused: reused, previous: previous, format: options.format)
        let paths = Self.paths(made, reused: reused, previous: previous, options: options, memo: memo, aligned: aligned)
        let parts = Assembly.Parts(names: servers.map(\.name.value), made: made, carried: carried, documents: documents, paths: paths)
        // A server whose objects and their place in the output are as in the last build.
        let same = servers.indices.map { i in reused[i] && previous[i]!.kept == carried[i] }
        let generation = (memo?.generation ?? 0) + 1
        let patch = memo?.takeAssembly()?.patched(parts, changed: servers.indices.filter { !same[$0] }, options: options, generation: generation)
        let assembly = try patch?.0 ?? Assembly.full(parts, options: options, generation: generation)
        if let memo {
            memo.record(servers.indices.map { i in
                // Everything kept (the outcome too): the entry stands as it is.
                if known[i], same[i], let p = previous[i], documents == nil || p.documents != nil, paths == nil || p.paths != nil { return p }
                return BuildMemo.Entry(revision: memo.revision(of: servers[i]), outcome: outcomes[i] ?? previous[i]!.outcome,
                                       checkedAt: known[i] ? previous[i]!.checkedAt : now,
                                       tls: tls[i] ?? previous[i]!.tls, format: options.format, objects: made[i], kept: carried[i], namespaces: namespaces[i],
                                       leftOut: namespaces[i].filter { !carried[i].contains($0) },
                                       checks: checks[i], documents: documents?[i], layout: options.layout, paths: paths?[i])
            }, of: servers, reuse: BuildMemo.Reuse(servers: servers.count, certificates: known.filter { $0 }.count,
                                                         objects: reused.filter { $0 }.count), assembly: assembly, paths: paths)
        }
        let all = assembly.objects
        let objects = options.includeSecrets ? all : all.filter { !$0.sensitive }
        let withheld = options.includeSecrets ? nil : Layouts.withheldNames(all, layout: options.layout, format: options.format)
        return BuildOutput(objects: objects, files: assembly.outputFiles, withheld: withheld, notes: notes, diagnostics: diagnostics,
                           generation: memo == nil ? nil : generation, changes: patch.map { (generation - 1, $0.1) })
    }

    /// The certificate outcomes made now, by server index: every server's but where the memo's
    /// still stands (`known`), as that entry has it; made at once, on every core, in program
    /// order, with what making them said. (Keyed, not an array of a thousand optionals: a save
    /// in a watch makes one or none.)
    static func outcomes(_ servers: [APIServer], _ previous: [BuildMemo.Entry?], options: BuildOptions, certs: CertBackend,
                         memo: BuildMemo?, now: Int) -> (outcomes: [Int: CertOutcome], known: [Bool], notes: [String], diagnostics: [Diagnostic]) {
        let known = memo?.standing(previous, servers, certs: certs, rotate: options.rotate, now: now)
            ?? [Bool](repeating: false, count: servers.count)
        var outcomes: [Int: CertOutcome] = [:]
        let asked = servers.indices.filter { !known[$0] }
        outcomes.reserveCapacity(asked.count)
        var notes: [String] = [], diagnostics: [Diagnostic] = []
        for (i, outcome) in zip(asked, certs.materials(for: asked.map { servers[$0] }, rotate: options.rotate)) {
            outcomes[i] = outcome
            notes += outcome.notes
            diagnostics += outcome.diagnostics
        }
        return (outcomes, known, notes, diagnostics)
    }

    /// Each server's Namespaces that an earlier server makes, as the last build had them, when
    /// that still holds: the servers are the last build's, in its order (`last`), and each made
    /// the same Namespaces, at the same places, as then. nil: `Lowering.carried` works them out.
    static func leftOut(_ made: [[KubeObject]], namespaces: [[Int]], reused: [Bool], previous: [BuildMemo.Entry?],
                        last: [BuildMemo.Entry]?) -> [[Int]]? {
        guard let last, last.count == made.count else { return nil }
        for i in made.indices where !(reused[i] && previous[i] === last[i]) {
            let before = last[i]
            guard namespaces[i] == before.namespaces, namespaces[i].allSatisfy({ made[i][$0].name == before.objects[$0].name }) else { return nil }
        }
        return last.map(\.leftOut)
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

    /// Each server's objects' paths in a directory layout (nil for the stream): kept for reused
    /// servers built with the same layout, the rest made. With the last build's paths in this
    /// layout (`BuildMemo.takePaths`) and its entries, when its servers are these in this order
    /// (`aligned`): a server reused with the very entry the last build had at its place keeps
    /// the paths at that place without being looked at (they are `Layouts.paths` of the same
    /// objects), and the array, taken from the memo, is changed in place.
    static func paths(_ made: [[KubeObject]], reused: [Bool], previous: [BuildMemo.Entry?], options: BuildOptions,
                      memo: BuildMemo?, aligned: [BuildMemo.Entry]?) -> [[String]]? {
        guard options.layout != .stream else { return nil }
        func pathsOf(_ i: Int) -> [String] {
            if reused[i], let p = previous[i], p.layout == options.layout, let paths = p.paths { return paths }
            return Layouts.paths(made[i], layout: options.layout, format: options.format)!
        }
        guard let aligned, var out = memo?.takePaths(options.layout, count: made.count) else { return made.indices.map(pathsOf) }
        for i in made.indices where !(reused[i] && previous[i] === aligned[i]) { out[i] = pathsOf(i) }
        return out
    }

    /// Each server's objects' texts (YAML; nil for JSON): kept for reused servers, the rest
    /// emitted together, on every core.
    static func documents(_ made: [[KubeObject]], reused: [Bool], previous: [BuildMemo.Entry?], format: OutputFormat) throws -> [[String]]? {
        guard format == .yaml else { return nil }
        let fresh = made.indices.filter { !reused[$0] || previous[$0]?.documents == nil }
        var texts = try Emit.documents(fresh.flatMap { made[$0] }, format: format)?[...] ?? []
        var out = made.indices.map { previous[$0]?.documents ?? [] }
        for i in fresh {
            out[i] = Array(texts.prefix(made[i].count))
            texts = texts.dropFirst(made[i].count)
        }
        return out
    }
}
