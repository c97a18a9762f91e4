import ExtcCheck
import ExtcSyntax
#if canImport(Glibc)
import Glibc
#endif

/// Reads, parses and checks spec files. Keeps each file's parse keyed by its bytes, so a rebuild
/// (watch) re-parses only files whose content changed.
public final class FrontEnd {
    private var cache: [String: (bytes: [UInt8], syntax: FileSyntax, diagnostics: [Diagnostic])] = [:]

    public init() {}

    /// Drops every cached parse (after an inotify queue overflow).
    public func reset() { cache.removeAll() }

    public struct Result: Sendable {
        public let files: [FileSyntax]
        public let program: Program?
        public let diagnostics: [Diagnostic]
        public var hasErrors: Bool { diagnostics.contains { $0.isError } }
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
    public func compile(paths: [String], inputs: Inputs = Inputs([])) throws -> Result {
        var files: [FileSyntax] = []
        var diagnostics: [Diagnostic] = []
        for argument in paths {
            let (path, bytes) = try inputs.read(argument)
            if let hit = cache[path], hit.bytes == bytes {
                files.append(hit.syntax)
                diagnostics += hit.diagnostics
                continue
            }
            let (syntax, ds) = Parser.parse(SourceFile(path: path, bytes: bytes))
            cache[path] = (bytes, syntax, ds)
            files.append(syntax)
            diagnostics += ds
        }
        return Self.check(files, syntaxDiagnostics: diagnostics)
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
