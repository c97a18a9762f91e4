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
    /// A spec's name and bytes. A file holding a private key (given by mistake: a key file, or
    /// a key pasted into a spec) is refused here, so no diagnostic, format or diff ever quotes it.
    func read(_ path: String) throws -> (name: String, bytes: [UInt8]) {
        let name = path == Self.stdin ? stdinName ?? "<stdin>" : path
        let bytes = path == Self.stdin ? try FileIO.read(fd: 0, name: "standard input", limit: FrontEnd.maxSpecBytes) : try FrontEnd.readSpec(path)
        if FileIO.holdsPrivateKey(bytes) { throw IOError(name, "holds a private key; extc reads specs, and never shows a key") }
        return (name, bytes)
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
        return FileIO.entries(base).flatMap { e -> [String] in
            let path = "\(base)/\(e.name)"
            if e.name.hasPrefix(".") { return [] }
            if e.isDirectory { return specs(under: path) }
            return e.name.hasSuffix(".ext") ? [path] : []
        }
    }

    /// Directories to watch, and the file names (or patterns) in each that matter. A directory
    /// argument is watched with every directory below it for `*.ext` (and for subdirectories that
    /// come and go, which `Watcher` takes from the event's IN_ISDIR); a glob in a directory
    /// component watches every directory it matches now, and the fixed directory above the first
    /// glob for new ones. The watcher syncs after each build, so new directories join.
    /// `excluding`: directories (canonical) never entered, such as the output and the state.
    public func watchedDirectories(extra: [String] = [], excluding: Set<String> = []) -> [(directory: String, names: [String])] {
        var result: [(String, [String])] = []
        func add(_ dir: String, _ name: String) {
            if let i = result.firstIndex(where: { $0.0 == dir }) {
                if !result[i].1.contains(name) { result[i].1.append(name) }
            } else {
                result.append((dir, [name]))
            }
        }
        for path in arguments + extra where path != Self.stdin {
            let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
            if FileIO.isDirectory(trimmed) {
                add(FileIO.directory(of: trimmed), FileIO.baseName(of: trimmed))
                for d in [trimmed] + Self.directories(under: trimmed) where !excluding.contains(FileIO.canonical(d)) { add(d, Self.anySpec) }
                continue
            }
            let dir = FileIO.directory(of: trimmed), name = FileIO.baseName(of: trimmed)
            guard Self.isGlob(dir) else { add(dir, name); continue }
            let parts = dir.split(separator: "/").map(String.init)
            let fixed = parts.prefix { !Self.isGlob($0) }
            let base = dir.hasPrefix("/") ? "/" + fixed.joined(separator: "/") : (fixed.isEmpty ? "." : fixed.joined(separator: "/"))
            add(base, Self.anySpec)
            for d in Self.expand(parts.dropFirst(fixed.count)[...], from: base) where FileIO.isDirectory(d) {
                add(d, name)
                add(d, Self.anySpec)
            }
        }
        return result
    }

    /// The pattern that makes a watched directory's subdirectories matter as well as its specs.
    public static let anySpec = "*.ext"

    /// Every directory below `dir`, hidden ones (such as `.extc`) skipped.
    static func directories(under dir: String) -> [String] {
        FileIO.entries(dir).flatMap { e -> [String] in
            let path = "\(dir)/\(e.name)"
            guard !e.name.hasPrefix("."), e.isDirectory, FileIO.kind(path) == S_IFDIR else { return [] }  // no symlinked directories
            return [path] + directories(under: path)
        }
    }
}
