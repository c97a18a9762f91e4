import ExtcSyntax

/// What a layout directory holds, as the one process that wrote it knows: the files of its last
/// write, in build order, and the records' texts. With it, a build that changes a few objects
/// among thousands rewrites those files and nothing else, reading nothing back.
///
/// Invariant: a mirror is made only from a directory read back whole after a write (`init?`), and
/// stands only while its owner vouches that nothing but this mirror's own writes changed the
/// files it names (a watch that sees every event there; `expected` lists what those writes
/// cause). Its owner drops it at any other change to them, and the next build writes in full.
public final class LayoutMirror {
    public let directory: String
    /// Files as last written (`.gitignore` as the build made it, before merging with the user's).
    private var files: [OutputFile]
    /// Each record's text on disk; a record not there is absent.
    private var records: [String: String]
    /// Whether the build left its Secrets out (then the secret record is not extc's to touch).
    private let withholding: Bool
    /// The build the files are from, when the caller counts them: a later build that says which
    /// of these it changed is compared at those places alone.
    private var generation: Int?

    /// The directory read back: a mirror when it holds exactly what a write of `files` leaves.
    public init?(verifying files: [OutputFile], in directory: String, withheld: [String]?, generation: Int? = nil) {
        let plan = DirectoryPlan(files, in: directory, withheld: withheld)
        guard plan.isCurrent else { return nil }
        self.directory = directory
        self.files = files
        self.withholding = withheld != nil
        self.generation = generation
        records = Dictionary(uniqueKeysWithValues: plan.entries.filter { DirectoryPlan.records.contains($0.name) }
            .map { ($0.name, String(decoding: $0.bytes, as: UTF8.self)) })
    }

    /// Every name this mirror vouches for, relative to the directory: the files, the records, and
    /// the subdirectories holding some of them. A change to any other name is not extc's concern.
    public func owns(_ name: String) -> Bool {
        name == OutputWriter.manifest || name == OutputWriter.secretManifest || index[name] != nil || subdirectories.contains(name)
    }

    /// Subdirectories (`secrets` in the kustomize layout) that hold some of the files.
    public private(set) lazy var subdirectories: Set<String> = Self.subdirectories(of: files)

    public static func subdirectories(of files: [OutputFile]) -> Set<String> {
        // Bytes, not Characters: a set of 14,000 names is looked through whenever names change.
        Set(files.lazy.map(\.name).filter { $0.utf8.contains(UInt8(ascii: "/")) }.map { FileIO.directory(of: $0) })
    }

    private lazy var index: [String: Int] = Dictionary(files.indices.map { (files[$0].name, $0) }, uniquingKeysWith: { a, _ in a })

    /// What the last `update` did to the directory, as inotify reports it, by name: a rename onto
    /// each name written (and one away from it, where the write exchanged the names), a deletion
    /// of each name removed. The owner takes these off as it sees them; any other event on an
    /// owned name means someone else changed the directory.
    public private(set) var expected: [String: Int] = [:]

    /// Takes an event the last `update` caused off `expected`; false when it is not one of them.
    public func consume(_ name: String) -> Bool {
        guard let n = expected[name] else { return false }
        expected[name] = n > 1 ? n - 1 : nil
        return true
    }

    /// Writes what differs between the last write and `new`: changed files (each replaced
    /// atomically, not synced: the watch's first build rewrites whatever a crash left), removed
    /// ones, then the records if the names changed. A `.gitignore` that changed (Secrets added or
    /// gone) is merged with the one there, as a full write merges it, and written so that it
    /// covers every key file at every moment (`writeIgnore`). Nil, having written nothing, when
    /// this needs what only a full write does: Secrets left out where they were not (or the
    /// reverse), or a new subdirectory.
    /// `changes`: when `new` is the build after `from` with only the files at `places` made
    /// again (names and order as they were), and these files are from `from`, only those places
    /// are compared.
    public func update(_ new: [OutputFile], withheld: [String]?, generation: Int? = nil,
                       changes: (from: Int, places: [Int])? = nil) throws -> WriteReport? {
        guard (withheld != nil) == withholding else { return nil }
        if let changes, changes.from == self.generation, new.count == files.count {
            self.generation = generation
            return try patch(new, at: changes.places)
        }
        self.generation = generation
        let (changed, removed, sameNames) = difference(new)
        let known = subdirectories
        if changed.contains(where: { new[$0].name.contains("/") && !known.contains(FileIO.directory(of: new[$0].name)) }) { return nil }
        var report = WriteReport()
        expected = [:]  // the last update's events were all read before this one (the owner drains first)
        let ignore = changed.first { new[$0].name == ".gitignore" }
        var finalIgnore: String? = nil
        if let ignore { finalIgnore = try writeIgnore(new[ignore].contents, into: &report) }
        for i in changed where i != ignore { try write(new[i], into: &report) }
        for name in removed where FileIO.kind("\(directory)/\(name)") != nil {
            try FileIO.remove("\(directory)/\(name)")
            expect(name)
            report.removed.append(name)
        }
        if let finalIgnore { try writeIgnoreText(finalIgnore) }
        if !sameNames { try writeRecords(new) }
        files = new
        if !sameNames {
            index = Dictionary(new.indices.map { (new[$0].name, $0) }, uniquingKeysWith: { a, _ in a })
            subdirectories = Self.subdirectories(of: new)
        }
        return report
    }

    private func expect(_ name: String) { expected[name, default: 0] += 1 }

    /// The events a write made under its name (`FileIO.Written`).
    private func expect(_ name: String, _ written: FileIO.Written) {
        switch written {
        case .unchanged: break
        case .renamed: expect(name)
        case .exchanged: expect(name); expect(name)
        }
    }

    /// Writes the files at `places` whose text differs, keeping `files` its own array (changed in
    /// place, never shared with the build's), so a save costs what it changed.
    private func patch(_ new: [OutputFile], at places: [Int]) throws -> WriteReport {
        var report = WriteReport()
        expected = [:]
        for p in places where new[p].pieces != files[p].pieces {
            try write(new[p], into: &report)
            files[p] = new[p]
        }
        return report
    }

    /// The build's `.gitignore` (`ours`) merged with the one there (`GitIgnore.merge`). Written
    /// before any other file, it covers the key files there now and those to come (the lines
    /// of both: a Secret written next is ignored before it exists, one removed next stays
    /// ignored until it is gone). Returns the merged text when that drops lines, for the caller
    /// to write once the removed files are gone.
    private func writeIgnore(_ ours: String, into report: inout WriteReport) throws -> String? {
        let there = (try? FileIO.read("\(directory)/.gitignore")).map { String(decoding: $0, as: UTF8.self) }
        let merged = GitIgnore.merge(ours, into: there)
        let covering = GitIgnore.covering(merged, there)
        try writeIgnoreText(covering)
        report.written.append(".gitignore")
        return covering == merged ? nil : merged
    }

    private func writeIgnoreText(_ text: String) throws {
        expect(".gitignore", try FileIO.writeNotSynced(pieces: [text], to: "\(directory)/.gitignore", mode: 0o644))
    }

    /// One file replaced atomically (not synced), and the events it causes expected.
    private func write(_ f: OutputFile, into report: inout WriteReport) throws {
        expect(f.name, try FileIO.writeNotSynced(pieces: f.pieces, to: "\(directory)/\(f.name)", mode: f.sensitive ? 0o600 : 0o644))
        report.written.append(f.name)
    }

    /// The files of `new` whose text or mode differs from the last write (indices into `new`),
    /// names the last write had and `new` has not, and whether the names are the same, in the same
    /// order. That is the usual case, compared position by position: a kept server's texts are
    /// the very strings written last time, so each comparison is a pointer check.
    private func difference(_ new: [OutputFile]) -> (changed: [Int], removed: [String], sameNames: Bool) {
        if new.count == files.count, new.indices.allSatisfy({ new[$0].name == files[$0].name && new[$0].sensitive == files[$0].sensitive }) {
            return (new.indices.filter { new[$0].pieces != files[$0].pieces }, [], true)
        }
        let changed = new.indices.filter { i in
            guard let j = index[new[i].name] else { return true }
            return files[j].sensitive != new[i].sensitive || files[j].pieces != new[i].pieces
        }
        // A `.gitignore` is never removed (it may be the user's too), as a full write leaves it.
        let kept = Set(new.map(\.name) + [".gitignore"])
        return (changed, files.map(\.name).filter { !kept.contains($0) }, false)
    }

    /// The records as a full write makes them (`DirectoryPlan`), each written when its text changed.
    private func writeRecords(_ new: [OutputFile]) throws {
        var texts = [OutputWriter.manifest: DirectoryPlan.recordText(OutputWriter.manifest, DirectoryPlan.publicNames(new))]
        let secrets = new.filter(\.sensitive).map(\.name)
        if !withholding, !secrets.isEmpty || records[OutputWriter.secretManifest] != nil {
            texts[OutputWriter.secretManifest] = DirectoryPlan.recordText(OutputWriter.secretManifest, secrets)
        }
        for name in DirectoryPlan.records {
            guard let text = texts[name], text != records[name] else { continue }
            expect(name, try FileIO.writeNotSynced(pieces: [text], to: "\(directory)/\(name)", mode: 0o644))
            records[name] = text
        }
    }
}
