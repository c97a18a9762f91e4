import ExtcLower
import ExtcSyntax
#if canImport(Glibc)
import Glibc
#endif

/// How a build's objects are laid out on disk.
public enum Layout: String, Sendable, CaseIterable {
    /// One multi-document stream (stdout or `-o FILE`).
    case stream
    /// One file per object: `NN-kind.name.EXT` (cluster-scoped) or `NN-kind.namespace.name.EXT`,
    /// NN being the kind's apply rank, so `kubectl apply -f DIR` (lexical order) applies in order.
    case dir
    /// `dir` plus a kustomization.yaml listing the files in apply order.
    case kustomize
}

/// One file of a build's output, relative to the output directory (stream: the whole output).
public struct OutputFile: Sendable, Equatable {
    public let name: String
    /// The text in pieces, end to end: a stream's documents, which are compared with the file on
    /// disk and written piece by piece, never joined into one large string (`contents` joins them).
    public let pieces: [String]
    /// Holds private key material: mode 0600, listed in the layout's .gitignore.
    public let sensitive: Bool

    public init(name: String, contents: String, sensitive: Bool) { self.init(name: name, pieces: [contents], sensitive: sensitive) }

    public init(name: String, pieces: [String], sensitive: Bool) {
        (self.name, self.pieces, self.sensitive) = (name, pieces, sensitive)
    }

    /// The whole text.
    public var contents: String { pieces.count == 1 ? pieces[0] : pieces.concatenated() }

    /// Files are equal when their names, texts and sensitivity are, however the texts are split.
    public static func == (a: OutputFile, b: OutputFile) -> Bool {
        a.name == b.name && a.sensitive == b.sensitive && (a.pieces == b.pieces || a.contents == b.contents)
    }
}

public enum Layouts {
    /// The kustomize layout's subdirectory for Secrets (private keys), ignored by git.
    public static let secretsDirectory = "secrets"

    /// Names of files a `dir` layout owns, so stale ones can be removed and nothing else is touched.
    public static func isGeneratedName(_ name: String) -> Bool {
        name.wholeMatch(of: /[0-9]{2}-[a-z]+\..+\.(?:yaml|json)/) != nil
    }

    public static func fileName(_ o: KubeObject, format: OutputFormat) -> String {
        let rank = o.rank < 10 ? "0\(o.rank)" : "\(o.rank)"
        let parts = [o.namespace, o.name].compactMap { $0 }.map { $0.replacingColons() }
        return "\(rank)-\(o.kind.lowercased()).\(parts.joined(separator: ".")).\(format.rawValue)"
    }

    /// Each object's path in a directory layout (`fileName`, with the kustomize layout's Secrets in
    /// `secrets/`); nil for the stream. A watch keeps these per server, so a save does not make
    /// thousands of names again.
    public static func paths(_ objects: [KubeObject], layout: Layout, format: OutputFormat) -> [String]? {
        guard layout != .stream else { return nil }
        let prefix = layout == .kustomize ? "\(secretsDirectory)/" : ""
        return objects.map { ($0.sensitive ? prefix : "") + fileName($0, format: format) }
    }

    /// The files of a layout. Without `includeSecrets` the sensitive objects' files (and
    /// `secrets/kustomization.yaml`) are left out, but the `.gitignore` that covers them is the
    /// same as with them, so the committed half of a layout does not depend on how it was built.
    /// `documents` and `paths`: each object's text (`Emit.documents`) and path (`paths`) when the
    /// caller has them (a watch keeps them per server); made here otherwise.
    public static func files(_ all: [KubeObject], layout: Layout, format: OutputFormat, includeSecrets: Bool = true,
                             documents: [String]? = nil, paths: [String]? = nil) throws -> [OutputFile] {
        let texts = try documents ?? Emit.documents(all, format: format)
        if layout == .stream {
            let kept = all.indices.filter { includeSecrets || !all[$0].sensitive }
            if let texts {  // YAML: the documents end to end
                return [OutputFile(name: "", pieces: kept.map { texts[$0] }, sensitive: kept.contains { all[$0].sensitive })]
            }
            return try allFiles(kept.map { all[$0] }, layout: layout, format: format, documents: nil, paths: nil)
        }
        let files = try allFiles(all, layout: layout, format: format, documents: texts, paths: paths)
        return includeSecrets ? files : files.filter { !$0.sensitive }
    }

    /// A layout's `.gitignore` (whenever it holds a Secret): every file that holds keys, by
    /// pattern rather than by name, in either layout and either format, and their temporary
    /// files (`.NAME.extc-tmp-*`). So it stays the same as servers come and go, and a key file a
    /// build without Secrets leaves in place from an earlier build (of another name, layout or
    /// format) stays ignored. Only Secrets hold keys (`KubeObject.sensitive`).
    static let ignoreText: String = {
        let rank = KubeObject.applyOrder.firstIndex(of: "Secret")!
        let secret = "\(rank < 10 ? "0" : "")\(rank)-secret.*"
        let lines = ["/\(secret)", "/.\(secret)", "/\(secretsDirectory)/", "/\(OutputWriter.secretManifest)"]
        return "# Written by extc: these files hold private keys; never commit them.\n" + lines.map { "\($0)\n" }.joined()
    }()

    /// The files a build without Secrets leaves out (and leaves alone on disk).
    public static func withheldNames(_ all: [KubeObject], layout: Layout, format: OutputFormat) -> [String] {
        guard layout != .stream else { return [] }
        let prefix = layout == .kustomize ? "\(secretsDirectory)/" : ""
        let secrets = all.filter(\.sensitive).map { prefix + fileName($0, format: format) }
        return secrets + (layout == .kustomize && !secrets.isEmpty ? ["\(secretsDirectory)/kustomization.yaml"] : [])
    }

    private static func allFiles(_ objects: [KubeObject], layout: Layout, format: OutputFormat, documents: [String]?,
                                 paths: [String]?) throws -> [OutputFile] {
        guard let names = paths ?? Self.paths(objects, layout: layout, format: format) else {
            return [OutputFile(name: "", contents: try Emit.stream(objects, format: format), sensitive: objects.contains { $0.sensitive })]
        }
        // Every name is checked before anything is rendered or written: a layout is all or nothing.
        if let long = names.first(where: { $0.utf8.count > 255 && FileIO.baseName(of: $0).utf8.count > 255 }) {
            throw IOError(FileIO.baseName(of: long), "is longer than a file name may be (255 bytes; W0010); use the stream layout")
        }
        // kustomize: the Secrets are a kustomization of their own in `secrets/` (git-ignored), so the
        // committed half applies on its own in a fresh clone (`kubectl apply -k DIR`) and the keys
        // come from `kubectl apply -k DIR/secrets` where they exist.
        let prefix = layout == .kustomize ? "\(secretsDirectory)/" : ""
        var files = try objects.indices.map { i in
            OutputFile(name: names[i], contents: try documents?[i] ?? Emit.single(objects[i], format: format),
                       sensitive: objects[i].sensitive)
        }
        let secrets = files.filter(\.sensitive).map(\.name)
        if !secrets.isEmpty { files.append(OutputFile(name: ".gitignore", contents: ignoreText, sensitive: false)) }
        if layout == .kustomize {
            func kustomization(_ resources: [String]) throws -> String {
                try Emit.yaml([["apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                                "resources": .list(resources.map(Node.string))]])
            }
            files.append(OutputFile(name: "kustomization.yaml", contents: try kustomization(objects.indices.filter { !objects[$0].sensitive }.map { names[$0] }),
                                    sensitive: false))
            if !secrets.isEmpty {
                files.append(OutputFile(name: "\(secretsDirectory)/kustomization.yaml",
                                        contents: try kustomization(secrets.map { String($0.dropFirst(prefix.count)) }), sensitive: true))
            }
        }
        return files
    }
}

extension Array where Element == String {
    /// The strings end to end, in one allocation (`joined()` grows its result as it goes, which
    /// for a long stream costs more than the copying).
    func concatenated() -> String {
        var out = ""
        out.reserveCapacity(reduce(0) { $0 + $1.utf8.count })
        for piece in self { out += piece }
        return out
    }
}

extension String {
    fileprivate func replacingColons() -> String { String(map { $0 == ":" ? "_" : $0 }) }
}

/// What writing (or checking) an output directory did or would do.
public struct WriteReport: Sendable, Equatable {
    public var written: [String] = []
    public var unchanged: [String] = []
    public var removed: [String] = []
    /// Those of `removed` listed in the record of key files: a `--check --diff` names them and
    /// never shows them (nor any other that `OutputWriter.diffableText` finds may hold keys).
    public var removedSecrets: Set<String> = []

    public var changed: Bool { !written.isEmpty || !removed.isEmpty }
}

public enum OutputWriter {
    /// The old side of a `--check --diff` of the output file at `path`: "" when there is none
    /// (or it cannot be read); nil when it may hold keys, so that no diff shows it: not a regular
    /// file others may read (judged without opening it: a FIFO would wait; extc writes what
    /// holds keys 0600), or it holds a Secret (in either format).
    public static func diffableText(_ path: String) -> String? {
        guard FileIO.exists(path) else { return "" }
        var st = stat()
        guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_mode & 0o044 != 0 else { return nil }
        let text = (try? FileIO.read(path)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return text.contains("\nkind: Secret\n") || text.contains("\"kind\": \"Secret\"") ? nil : text
    }

    /// The record, in an output directory, of the files extc wrote there: only those are ever
    /// removed as stale, never a file that merely matches extc's naming pattern.
    public static let manifest = ".extc-files"
    /// The record of the files holding keys that extc wrote here; git-ignored like them, and
    /// left alone by a build without Secrets.
    public static let secretManifest = ".extc-secret-files"

    /// Writes a layout's files into `dir`: unchanged files are kept as they are, files an earlier
    /// build wrote (per the manifest) that this one no longer makes are removed, and a
    /// `.gitignore` extc did not write is kept and extended, never replaced. The new set is
    /// published in one step where the system allows (see `DirectoryPublisher`), else file by
    /// file. With `dryRun` only reports (for `--check`).
    /// `withheld`: the files a build without Secrets leaves out; they, and the record of them,
    /// are left as they are. nil: the build includes its Secrets.
    public static func write(_ files: [OutputFile], toDirectory dir: String, withheld: [String]? = nil, dryRun: Bool = false) throws -> WriteReport {
        let plan = DirectoryPlan(files, in: dir, withheld: withheld)
        if dryRun || plan.isCurrent { return plan.report }
        if try DirectoryPublisher.publish(plan, at: dir) { return plan.report }
        try writeInPlace(plan, at: dir)
        return plan.report
    }

    /// File by file, each replaced atomically; the manifest last, so it never names a file that
    /// was not written.
    static func writeInPlace(_ plan: DirectoryPlan, at dir: String) throws {
        try FileIO.makeDirectory(dir)
        for e in plan.entries where !e.unchanged && !DirectoryPlan.records.contains(e.name) {
            let path = "\(dir)/\(e.name)"
            if e.name.contains("/") { try FileIO.makeDirectory(FileIO.directory(of: path), mode: 0o700) }
            try FileIO.write(e.bytes, to: path, mode: e.mode)
        }
        for name in plan.report.removed { try FileIO.remove("\(dir)/\(name)") }
        for record in plan.entries where DirectoryPlan.records.contains(record.name) && !record.unchanged {
            try FileIO.write(record.bytes, to: "\(dir)/\(record.name)", mode: record.mode)
        }
    }

    /// Writes one stream file; returns whether it changed. A device or FIFO is written straight
    /// through (and counts as changed), never read back. The file is always replaced atomically
    /// and synced.
    public static func write(_ file: OutputFile, toFile path: String, dryRun: Bool = false) throws -> Bool {
        let mode = streamMode(file)
        if !dryRun { try requireDirectory(of: path) }
        if dryRun { return !FileIO.holds(pieces: file.pieces, at: path, mode: mode) }
        return try FileIO.write(pieces: file.pieces, to: path, mode: mode)
    }

    /// As `write(_:toFile:)`, through a file a watch replaces on every save (`RecycledFile`), with
    /// how this text relates to the ones before it: not synced, since the watch's first build
    /// rewrites whatever a crash left, and a large stream would otherwise be synced on every save.
    public static func write(_ file: OutputFile, to stream: RecycledFile, revision: RecycledFile.Revision?) throws -> Bool {
        try requireDirectory(of: stream.path)
        return try stream.write(file.pieces, mode: streamMode(file), revision: revision)
    }

    private static func streamMode(_ file: OutputFile) -> mode_t { file.sensitive ? 0o600 : 0o644 }

    private static func requireDirectory(of path: String) throws {
        let dir = FileIO.directory(of: path)
        guard !FileIO.isDirectory(dir) else { return }
        throw IOError(path, FileIO.exists(dir) ? "\(dir) is not a directory" : "the directory \(dir) does not exist; create it first (extc makes only --out-dir directories)")
    }
}

