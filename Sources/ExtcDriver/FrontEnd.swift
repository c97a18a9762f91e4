import ExtcCheck
import ExtcSyntax

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

    /// Parses and checks; an unreadable file throws before anything is checked.
    public func compile(paths: [String]) throws -> Result {
        var files: [FileSyntax] = []
        var diagnostics: [Diagnostic] = []
        for path in paths {
            let bytes = try FileIO.read(path)
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
        // As in Go: syntax errors (every one of them, from every file) stop the build before type
        // checking, whose findings on a broken tree would mostly be cascades.
        if diagnostics.contains(where: \.isError) {
            return Result(files: files, program: nil, diagnostics: diagnostics.sortedBySource())
        }
        let (program, checked) = Checker.check(files)
        return Result(files: files, program: program, diagnostics: (diagnostics + checked).sortedBySource())
    }
}
