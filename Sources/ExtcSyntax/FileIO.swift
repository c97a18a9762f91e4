#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed file operation: the path and the system's reason.
public struct IOError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String

    public init(_ path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }

    static func errno(_ path: String, _ what: String) -> IOError {
        IOError(path, "\(what): \(String(cString: strerror(Glibc.errno)))")
    }

    public var description: String { "\(path): \(reason)" }
}

/// File reads and atomic writes. A write goes to a temporary file in the target's directory (mode
/// set before any byte is written), is synced, then renamed over the target: a reader sees the old
/// file or the new one, never a part.
public enum FileIO {
    public static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IOError.errno(path, "cannot read") }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0, Glibc.errno == EINTR { continue }
            guard n >= 0 else { throw IOError.errno(path, "cannot read") }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
        }
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Writes atomically with `mode`; returns false (and writes nothing) when the file already holds
    /// exactly these bytes with this mode.
    @discardableResult
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws -> Bool {
        var st = stat()
        if stat(path, &st) == 0, st.st_mode & 0o777 == mode, Int(st.st_size) == bytes.count,
           (try? read(path)) == bytes { return false }
        let tmp = "\(directory(of: path))/.\(baseName(of: path)).extc-tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else { throw IOError.errno(path, "cannot write") }
        var ok = fchmod(fd, mode) == 0
        var offset = 0
        while ok, offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0, Glibc.errno == EINTR { continue }
            ok = n > 0
            offset += max(n, 0)
        }
        ok = ok && fsync(fd) == 0
        let failure = ok ? nil : IOError.errno(path, "cannot write")
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            let error = failure ?? IOError.errno(path, "cannot replace")
            unlink(tmp)
            throw error
        }
        return true
    }

    @discardableResult
    public static func write(_ text: String, to path: String, mode: mode_t = 0o644) throws -> Bool {
        try write(Array(text.utf8), to: path, mode: mode)
    }

    /// Creates the directory and its parents; an existing one keeps its mode unless `mode` is forced.
    public static func makeDirectory(_ path: String, mode: mode_t = 0o755, force: Bool = false) throws {
        if isDirectory(path) {
            if force, chmod(path, mode) != 0 { throw IOError.errno(path, "cannot set mode") }
            return
        }
        let parent = directory(of: path)
        if parent != path, !parent.isEmpty, !isDirectory(parent) { try makeDirectory(parent) }
        guard mkdir(path, mode) == 0 || Glibc.errno == EEXIST else { throw IOError.errno(path, "cannot create directory") }
        if chmod(path, mode) != 0 { throw IOError.errno(path, "cannot set mode") }
    }

    public static func list(_ dir: String) -> [String] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != ".", name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public static func remove(_ path: String) throws {
        guard unlink(path) == 0 || Glibc.errno == ENOENT else { throw IOError.errno(path, "cannot remove") }
    }

    public static func mode(of path: String) -> mode_t? {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mode & 0o7777 : nil
    }

    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    public static func baseName(of path: String) -> String {
        path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
    }

    /// `path` relative to `dir` unless it is absolute.
    public static func resolve(_ path: String, relativeTo dir: String) -> String {
        path.hasPrefix("/") ? path : (dir == "." ? path : "\(dir)/\(path)")
    }
}
