import ExtcCheck
import ExtcSyntax
#if canImport(Glibc)
import Glibc
#endif

/// Reads, parses and checks spec files. Keeps each file's parse keyed by its bytes, so a rebuild
/// (watch) re-parses only files whose content changed.
/// A file unchanged since it was last read (same inode, size and times) is not read again, as in
/// git's index; a file changed within two seconds of being read is read again every time until
/// its times are further in the past, so a quick second write is never missed, even on a file
/// system that keeps whole seconds.
public final class FrontEnd {
    /// A class: kept per file and looked up per server on every build, so never copied field by field.
    fileprivate final class Parsed: Sendable {
        let bytes: [UInt8]
        let syntax: FileSyntax
        let diagnostics: [Diagnostic]
        /// The file's servers and their findings, when it parsed without errors.
        let checked: Checker.FileCheck?
        /// Changes whenever the bytes do: what `BuildMemo` keys a server's results by.
        let revision: Int
        /// The file as it was when read; nil: read it again next time.
        let stamp: FileStamp?
        /// The file's name, when its path named a regular file itself (not a symlink): a watch
        /// that saw no event on that name may take it as unchanged.
        let watchableName: String?
        /// Settled, with a name a watch can vouch for: a watch that saw no event on the name may
        /// take it as it is, without a look.
        var vouched: Bool { stamp != nil && watchableName != nil }

        init(bytes: [UInt8], syntax: FileSyntax, diagnostics: [Diagnostic], checked: Checker.FileCheck?, revision: Int, stamp: FileStamp?,
             watchableName: String?) {
            (self.bytes, self.syntax, self.diagnostics, self.checked, self.revision, self.stamp) = (bytes, syntax, diagnostics, checked, revision, stamp)
            self.watchableName = watchableName
        }
    }

    private var cache: [String: Parsed] = [:]
    /// The last compile's paths and what it took for each, position by position. `checks`: each
    /// file's check, when every file had one and no diagnostic (the compile was quiet); and the
    /// positions whose parse is not settled or whose name a watch cannot vouch for.
    private var last = Last()
    private struct Last {
        var paths: [String] = []
        var parsed: [Parsed] = []
        var checks: [Checker.FileCheck]? = nil
        var unsettled: [Int] = []
    }
    /// The positions of each file name in `paths` (made again when the paths change).
    private var positions: (paths: [String], byName: [String: [Int]]) = ([], [:])
    private var revisions = 0
    /// The names compared across files at the last compile.
    private let crossIndex = Checker.CrossIndex()

    public init() {}

    /// Drops every cached parse (after an inotify queue overflow).
    public func reset() { cache.removeAll(); last = Last() }

    /// Which parse of the file the last compile used; nil if it read no such file.
    public func revision(of path: String) -> Int? { cache[path]?.revision }

    public struct Result: Sendable {
        /// Each file's syntax, made when asked for (a watch compiling a thousand files never does).
        public var files: [FileSyntax] { syntax ?? parsed.map(\.syntax) }
        public let program: Program?
        public let diagnostics: [Diagnostic]
        public var hasErrors: Bool { diagnostics.contains { $0.isError } }
        private let syntax: [FileSyntax]?
        private let parsed: [Parsed]

        init(files: [FileSyntax], program: Program?, diagnostics: [Diagnostic]) {
            (syntax, parsed, self.program, self.diagnostics) = (files, [], program, diagnostics)
        }

        fileprivate init(parsed: [Parsed], program: Program?, diagnostics: [Diagnostic]) {
            (syntax, self.parsed, self.program, self.diagnostics) = (nil, parsed, program, diagnostics)
        }
    }

    /// Parses and checks sources already in memory (another revision's files, for `diff`).
    public func compile(sources: [(path: String, bytes: [UInt8])]) -> Result {
        var files: [FileSyntax] = []
        var diagnostics: [Diagnostic] = []
        for (path, bytes) in sources {
            let (syntax, ds) = Parser.parse(SourceFile(path: path, bytes: bytes))
            files.append(syntax)
            diagnostics += ds
        }
        return Self.check(files, syntaxDiagnostics: diagnostics)
    }

    /// The largest spec extc reads (a generated file of 10,000 servers is about 11 MB).
    public static let maxSpecBytes = 64 << 20

    /// A spec's bytes: only regular files (never a device or FIFO, which could be endless), and at
    /// most `maxSpecBytes`.
    static func readSpec(_ path: String) throws -> [UInt8] {
        var st = stat()
        guard stat(path, &st) == 0 else { throw IOError.errno(path, "cannot read") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw IOError(path, "is not a regular file; a spec is read whole, so extc reads no devices, FIFOs or directories") }
        guard Int(st.st_size) <= maxSpecBytes else { throw IOError(path, "has \(st.st_size) bytes; a spec has at most \(maxSpecBytes) (64 MiB)") }
        return try FileIO.read(path)
    }

    /// Parses and checks; an unreadable file throws before anything is checked.
    /// Each file is checked on its own as it is parsed, and that check kept with the parse;
    /// only the findings across files are made again each time.
    /// `touched`: from a watch that saw every event in the specs' directories since the last
    /// compile and nothing but edits, the names of the files written since; a file read then,
    /// settled, and not among them is taken as it was without a stat. Nil: every file is looked at.
    public func compile(paths: [String], inputs: Inputs = Inputs([]), touched: Set<String>? = nil) throws -> Result {
        if let touched, last.checks != nil, paths == last.paths, let quick = try quietCompile(paths, touched: touched, inputs: inputs) {
            return quick
        }
        var parsed: [Parsed] = [], checks: [Checker.FileCheck] = [], syntaxDiagnostics: [Diagnostic] = []
        parsed.reserveCapacity(paths.count)
        checks.reserveCapacity(paths.count)
        // The same paths as last time: each file's last parse is at its position, no lookup needed.
        let before = paths == last.paths ? last.parsed : nil
        let written = touched.map(Written.init)
        for (i, argument) in paths.enumerated() {
            let p = try parse(argument, last: before?[i], written: written, inputs: inputs)
            parsed.append(p)
            syntaxDiagnostics += p.diagnostics
            if let c = p.checked { checks.append(c) }
        }
        let quiet = checks.count == parsed.count && syntaxDiagnostics.isEmpty
        last = Last(paths: paths, parsed: parsed, checks: quiet ? checks : nil,
                    unsettled: parsed.indices.filter { !parsed[$0].vouched })
        guard checks.count == parsed.count, !syntaxDiagnostics.contains(where: \.isError) else {
            return Self.check(parsed.map(\.syntax), syntaxDiagnostics: syntaxDiagnostics)
        }
        let (program, checked) = Checker.combine(checks, index: crossIndex)
        return Result(parsed: parsed, program: program, diagnostics: (syntaxDiagnostics + checked).sortedBySource())
    }

    /// `compile` after a quiet one, told which names were written: only the files of those names
    /// and the unsettled ones are looked at (as `parse` would), every other keeps its parse and
    /// check untouched, the same that `parse` would return for it. nil: a file looked at is no
    /// longer quiet, and the full compile says why.
    private func quietCompile(_ paths: [String], touched: Set<String>, inputs: Inputs) throws -> Result? {
        if positions.paths != paths {
            positions = (paths, Dictionary(grouping: paths.indices, by: { FileIO.baseName(of: paths[$0]) }))
        }
        let look = Set(touched.flatMap { positions.byName[$0] ?? [] }).union(last.unsettled).sorted()
        // Taken out of `last`, so that changing a position does not copy the whole array.
        var parsed = last.parsed, checks = last.checks!
        last = Last()
        var unsettled: [Int] = []
        let written = Written(touched)
        for i in look {
            let p = try parse(paths[i], last: parsed[i], written: written, inputs: inputs)
            parsed[i] = p
            if !p.vouched { unsettled.append(i) }
            guard p.diagnostics.isEmpty, let c = p.checked else {
                last = Last(paths: paths, parsed: parsed, checks: nil, unsettled: [])
                return nil
            }
            checks[i] = c
        }
        last = Last(paths: paths, parsed: parsed, checks: checks, unsettled: unsettled)
        let (program, checked) = Checker.combine(checks, index: crossIndex, changed: look)
        return Result(parsed: parsed, program: program, diagnostics: checked.sortedBySource())
    }

    /// The names of the files a watch saw written (`compile`'s `touched`); a few are searched in
    /// a list, which needs no hash of each of a thousand names asked about.
    private struct Written {
        let names: Set<String>
        let few: [String]?

        init(_ names: Set<String>) { (self.names, few) = (names, names.count <= 8 ? Array(names) : nil) }

        func contains(_ name: String) -> Bool { few?.contains(name) ?? names.contains(name) }
    }

    /// One file's parse and check: the cached one while it stands (`last`: the one the last
    /// compile took at this position), else the file read and parsed again.
    private func parse(_ argument: String, last: Parsed?, written: Written?, inputs: Inputs) throws -> Parsed {
        if let written, let hit = last ?? cache[argument], hit.stamp != nil, let name = hit.watchableName, !written.contains(name) {
            return hit
        }
        let stamp = argument == Inputs.stdin ? nil : FileStamp(argument)
        if let stamp, let hit = cache[argument], hit.stamp == stamp { return hit }
        let readAt = FileStamp.clock()
        let (path, bytes) = try inputs.read(argument)
        // Trusted next time only if the file's last change is well before this read: two
        // seconds covers file systems that keep whole (FAT: even) seconds.
        let settled = stamp.flatMap { $0.changed + FileStamp.granularity < readAt ? $0 : nil }
        let name = stamp != nil && FileIO.kind(path) == S_IFREG ? FileIO.baseName(of: path) : nil
        if let hit = cache[path], hit.bytes == bytes {
            let kept = Parsed(bytes: bytes, syntax: hit.syntax, diagnostics: hit.diagnostics, checked: hit.checked,
                              revision: hit.revision, stamp: settled, watchableName: name)
            cache[path] = kept
            return kept
        }
        let (syntax, ds) = Parser.parse(SourceFile(path: path, bytes: bytes))
        revisions += 1
        let checked = ds.contains(where: \.isError) ? nil : Checker.checkFile(syntax)
        let new = Parsed(bytes: bytes, syntax: syntax, diagnostics: ds, checked: checked, revision: revisions, stamp: settled,
                         watchableName: name)
        cache[path] = new
        return new
    }

    /// As in Go: syntax errors (every one of them, from every file) stop the build before type
    /// checking, whose findings on a broken tree would mostly be cascades.
    static func check(_ files: [FileSyntax], syntaxDiagnostics: [Diagnostic]) -> Result {
        if syntaxDiagnostics.contains(where: \.isError) {
            return Result(files: files, program: nil, diagnostics: syntaxDiagnostics.sortedBySource())
        }
        let (program, checked) = Checker.check(files)
        return Result(files: files, program: program, diagnostics: (syntaxDiagnostics + checked).sortedBySource())
    }
}

/// A file or directory as the file system knows it: a path that comes to name another one (a
/// rename over it, a symlink retargeted, a directory moved into place) has another identity.
struct FileIdentity: Equatable {
    let device: UInt64
    let inode: UInt64

    init(_ st: stat) { (device, inode) = (UInt64(st.st_dev), UInt64(st.st_ino)) }

    init?(directory path: String) {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { return nil }
        self.init(st)
    }
}

/// What `stat` says of a file that changes whenever its bytes do: its identity, the size, and
/// the modification and change times.
struct FileStamp: Equatable {
    let identity: FileIdentity
    let size: Int
    let modified: Int
    /// The inode's change time, in nanoseconds.
    let changed: Int

    init?(_ path: String) {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        identity = FileIdentity(st)
        size = Int(st.st_size)
        modified = Int(st.st_mtim.tv_sec) * 1_000_000_000 + Int(st.st_mtim.tv_nsec)
        changed = Int(st.st_ctim.tv_sec) * 1_000_000_000 + Int(st.st_ctim.tv_nsec)
    }

    /// The coarsest file time resolution extc allows for, in nanoseconds (FAT keeps even seconds).
    static let granularity = 2_000_000_000

    /// The coarse clock file times are taken from, in nanoseconds.
    static func clock() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &ts)
        return Int(ts.tv_sec) * 1_000_000_000 + Int(ts.tv_nsec)
    }
}
