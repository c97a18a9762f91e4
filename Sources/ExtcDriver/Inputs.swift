import ExtcSyntax
#if canImport(Glibc)
import Glibc
#endif

/// The spec files a command names. An argument with `*`, `?` or `[` is a glob that extc expands
/// itself (quoted, so the shell leaves it alone), which lets `watch` pick up files added later.
public struct Inputs: Sendable {
    public let arguments: [String]
    /// What `-` (standard input) is called in messages, and where its state and relative paths
    /// are resolved from (`--stdin-filename`); `<stdin>` in the current directory by default.
    public let stdinName: String?

    public init(_ arguments: [String], stdinName: String? = nil) {
        self.arguments = arguments
        self.stdinName = stdinName
    }

    /// The argument that names standard input.
    public static let stdin = "-"

    /// A spec's name for messages and its bytes: `-` reads standard input (bounded like a file).
    func read(_ path: String) throws -> (name: String, bytes: [UInt8]) {
        guard path == Self.stdin else { return (path, try FrontEnd.readSpec(path)) }
        let out = try FileIO.read(fd: 0, name: "standard input", limit: FrontEnd.maxSpecBytes)
        return (stdinName ?? "<stdin>", out)
    }

    public static func isGlob(_ s: String) -> Bool { s.contains { "*?[".contains($0) } }

    /// The files the arguments name now, in argument order: a glob expanded in every path
    /// component (`**` is any number of directories), a directory as every `*.ext` below it;
    /// each expansion in sorted order, each file once.
    public func paths() -> [String] {
        var out: [String] = []
        for arg in arguments {
            if arg != Self.stdin, FileIO.isDirectory(arg) { out += Self.specs(under: arg); continue }
            guard Self.isGlob(arg) else { out.append(arg); continue }
            let absolute = arg.hasPrefix("/")
            let parts = arg.split(separator: "/").map(String.init)
            out += Self.expand(parts[...], from: absolute ? "/" : ".").map { absolute || !$0.hasPrefix("./") ? $0 : String($0.dropFirst(2)) }
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0).inserted }
    }

    /// Paths below `base` that match the remaining components.
    static func expand(_ parts: ArraySlice<String>, from base: String) -> [String] {
        guard let first = parts.first else { return [base] }
        let rest = parts.dropFirst()
        func join(_ name: String) -> String { base == "/" ? "/\(name)" : "\(base)/\(name)" }
        if first == "**" {
            // Zero directories, or one more and `**` again (hidden directories are not entered).
            var out = expand(rest, from: base)
            for name in FileIO.list(base) where !name.hasPrefix(".") && FileIO.isDirectory(join(name)) {
                out += expand(parts, from: join(name))
            }
            return out
        }
        guard isGlob(first) else {
            let next = join(first)
            return rest.isEmpty ? (FileIO.exists(next) ? [next] : []) : (FileIO.isDirectory(next) ? expand(rest, from: next) : [])
        }
        return FileIO.list(base).filter { fnmatch(first, $0, FNM_PERIOD) == 0 }.flatMap { name -> [String] in
            let next = join(name)
            return rest.isEmpty ? (FileIO.isDirectory(next) ? [] : [next]) : (FileIO.isDirectory(next) ? expand(rest, from: next) : [])
        }
    }

    /// Every `*.ext` below a directory, sorted, hidden directories (such as `.extc`) skipped.
    static func specs(under dir: String) -> [String] {
        let base = dir.hasSuffix("/") && dir.count > 1 ? String(dir.dropLast()) : dir
        return FileIO.list(base).flatMap { name -> [String] in
            let path = "\(base)/\(name)"
            if name.hasPrefix(".") { return [] }
            if FileIO.isDirectory(path) { return specs(under: path) }
            return name.hasSuffix(".ext") ? [path] : []
        }
    }

    /// Directories to watch, and the file names (or patterns) in each that matter.
    public func watchedDirectories(extra: [String] = []) -> [(directory: String, names: [String])] {
        var result: [(String, [String])] = []
        for path in arguments + extra {
            let dir = FileIO.directory(of: path), name = FileIO.baseName(of: path)
            if let i = result.firstIndex(where: { $0.0 == dir }) { result[i].1.append(name) } else { result.append((dir, [name])) }
        }
        return result
    }
}
