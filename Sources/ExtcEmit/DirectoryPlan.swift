import ExtcSyntax
#if canImport(Glibc)
import Glibc
#endif

/// What a layout directory is to hold after a build, and how that differs from what it holds now;
/// worked out before anything is written, so `--check` and both ways of writing agree.
struct DirectoryPlan {
    struct Entry {
        /// Relative to the directory; at most one `/` (the kustomize `secrets/` subdirectory).
        let name: String
        let bytes: [UInt8]
        let mode: mode_t
        /// A regular file at the path already holds exactly these bytes with this mode.
        let unchanged: Bool
    }

    /// The layout's `.gitignore` (merged with the one there), its other files, then the manifest.
    let entries: [Entry]
    /// Names the previous manifest lists: what extc wrote here before.
    let previous: [String]
    /// Written, unchanged and removed files; the manifest is never reported.
    let report: WriteReport

    init(_ files: [OutputFile], in dir: String) {
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
        let keep = Set(files.map(\.name))
        let listed = (try? FileIO.read("\(dir)/\(OutputWriter.manifest)")).map { String(decoding: $0, as: UTF8.self) } ?? ""
        // Only plain relative names: a manifest edited to name `../x` or `a/b/c` removes nothing.
        previous = listed.split(separator: "\n").map(String.init).filter {
            !$0.hasPrefix("#") && !$0.contains("..") && $0.split(separator: "/").count <= 2 && !$0.hasPrefix("/")
        }
        report.removed = previous.filter { !keep.contains($0) && FileIO.exists("\(dir)/\($0)") }
        let record = "# Written by extc: the files it generated here, removed when no longer produced.\n"
            + files.map(\.name).filter { $0 != ".gitignore" }.sorted().map { "\($0)\n" }.joined()
        entries.append(Self.entry(OutputWriter.manifest, Array(record.utf8), mode: 0o644, at: "\(dir)/\(OutputWriter.manifest)"))
        // `.gitignore` first: a set cut short never holds a Secret that git would not ignore.
        self.entries = entries.filter { $0.name == ".gitignore" } + entries.filter { $0.name != ".gitignore" }
        self.report = report
    }

    private static func entry(_ name: String, _ bytes: [UInt8], mode: mode_t, at path: String) -> Entry {
        Entry(name: name, bytes: bytes, mode: mode, unchanged: FileIO.holds(bytes, at: path, mode: mode))
    }

    /// Nothing to write at all, the manifest included.
    var isCurrent: Bool { !report.changed && entries.allSatisfy(\.unchanged) }

    /// Every name extc has written or writes here.
    var extcNames: Set<String> { Set(previous).union(entries.map(\.name)) }
}
