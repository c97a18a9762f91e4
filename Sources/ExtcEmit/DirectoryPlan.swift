import ExtcSyntax
#if canImport(Glibc)
import Glibc
#endif

/// What a layout directory is to hold after a build, and how that differs from what it holds now;
/// worked out before anything is written, so `--check` and both ways of writing agree.
///
/// Two records say what extc wrote: `.extc-files` the files meant to be committed, and
/// `.extc-secret-files` (git-ignored) those holding keys. A build without Secrets leaves the key
/// files and their record alone, so both records, and every committed file, are the same however
/// the layout was built.
struct DirectoryPlan {
    struct Entry {
        /// Relative to the directory; at most one `/` (the kustomize `secrets/` subdirectory).
        let name: String
        let bytes: [UInt8]
        let mode: mode_t
        /// A regular file at the path already holds exactly these bytes with this mode.
        let unchanged: Bool
    }

    static let records = [OutputWriter.manifest, OutputWriter.secretManifest]

    /// The layout's `.gitignore` (merged with the one there), its other files, then the records.
    let entries: [Entry]
    /// Names the previous records list: what extc wrote here before.
    let previous: [String]
    /// Files left as they are: those a build without Secrets leaves out.
    let withheld: Set<String>
    /// Written, unchanged and removed files; the records are never reported.
    let report: WriteReport

    /// `withheld`: nil when the build includes its Secrets.
    init(_ files: [OutputFile], in dir: String, withheld: [String]?) {
        var entries: [Entry] = []
        var report = WriteReport()
        for f in files {
            let path = "\(dir)/\(f.name)"
            var contents = f.contents
            if f.name == ".gitignore" {
                contents = GitIgnore.merge(contents, into: (try? FileIO.read(path)).map { String(decoding: $0, as: UTF8.self) })
            }
            let entry = Self.entry(f.name, Array(contents.utf8), mode: f.sensitive ? 0o600 : 0o644, at: path)
            if entry.unchanged { report.unchanged.append(f.name) } else { report.written.append(f.name) }
            entries.append(entry)
        }
        let publicRecord = Self.read(OutputWriter.manifest, in: dir), secretRecord = Self.read(OutputWriter.secretManifest, in: dir)
        previous = publicRecord + secretRecord
        // Without Secrets, key files stay: those this build would make and those recorded before.
        self.withheld = withheld.map { Set($0).union(secretRecord) } ?? []
        let keep = Set(files.map(\.name)).union(self.withheld)
        report.removed = previous.filter { !keep.contains($0) && FileIO.exists("\(dir)/\($0)") }
        report.removedSecrets = Set(report.removed).intersection(secretRecord)
        entries.append(Self.record(OutputWriter.manifest, Self.publicNames(files), in: dir))
        if withheld == nil, files.contains(where: \.sensitive) || !secretRecord.isEmpty {
            entries.append(Self.record(OutputWriter.secretManifest, files.filter(\.sensitive).map(\.name), in: dir))
        }
        // `.gitignore` first: a set cut short never holds a Secret that git would not ignore.
        self.entries = entries.filter { $0.name == ".gitignore" } + entries.filter { $0.name != ".gitignore" }
        self.report = report
    }

    private static func entry(_ name: String, _ bytes: [UInt8], mode: mode_t, at path: String) -> Entry {
        Entry(name: name, bytes: bytes, mode: mode, unchanged: FileIO.holds(bytes, at: path, mode: mode))
    }

    private static func record(_ name: String, _ names: [String], in dir: String) -> Entry {
        entry(name, Array(recordText(name, names).utf8), mode: 0o644, at: "\(dir)/\(name)")
    }

    /// The names the public record lists: the files meant to be committed, but the `.gitignore`
    /// (which may be the user's too, and is never removed).
    static func publicNames(_ files: [OutputFile]) -> [String] {
        files.filter { !$0.sensitive && $0.name != ".gitignore" }.map(\.name)
    }

    /// A record's text: a header, then the names sorted.
    static func recordText(_ record: String, _ names: [String]) -> String {
        let header = record == OutputWriter.manifest ? "the files it generated here, removed when no longer produced"
            : "the files holding keys it wrote here (git-ignored), removed when no longer produced"
        return "# Written by extc: \(header).\n" + names.sorted().map { "\($0)\n" }.joined()
    }

    /// A record's names: only plain relative ones, so a record edited to name `../x` or `a/b/c`
    /// removes nothing.
    private static func read(_ record: String, in dir: String) -> [String] {
        let text = (try? FileIO.read("\(dir)/\(record)")).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return text.split(separator: "\n").map(String.init).filter {
            !$0.hasPrefix("#") && !$0.contains("..") && $0.split(separator: "/").count <= 2 && !$0.hasPrefix("/")
        }
    }

    /// Nothing to write at all, the records included.
    var isCurrent: Bool { !report.changed && entries.allSatisfy(\.unchanged) }

    /// Every name extc has written or writes here.
    var extcNames: Set<String> { Set(previous).union(entries.map(\.name)) }
}
