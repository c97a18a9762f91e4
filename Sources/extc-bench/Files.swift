#if canImport(Glibc)
import Glibc
#endif

/// Small file helpers for scratch directories. Benchmarks write only under a fresh mkdtemp
/// directory, which `Scratch.remove` deletes.
enum Scratch {
    static func make(_ label: String) throws -> String {
        let base = (getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp") + "/extc-bench-\(label)-XXXXXX"
        var template = Array(base.utf8CString)
        guard let made = mkdtemp(&template) else { throw BenchError("mkdtemp failed: \(String(cString: strerror(errno)))") }
        return String(cString: made)
    }

    static func remove(_ path: String) {
        precondition(path.contains("/extc-bench-"), "only scratch directories are removed")
        _ = try? runCommand(["rm", "-rf", path])
    }

    static func write(_ text: String, to path: String) throws {
        guard let f = fopen(path, "w") else { throw BenchError("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { fclose(f) }
        guard fputs(text, f) >= 0 else { throw BenchError("cannot write \(path)") }
    }

    static func read(_ path: String) throws -> String {
        guard let f = fopen(path, "r") else { throw BenchError("cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The names in a directory, unsorted (callers sort: readdir order is the file system's).
    static func list(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw BenchError("cannot list \(path): \(String(cString: strerror(errno)))") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func mkdir(_ path: String) throws {
        guard Glibc.mkdir(path, 0o755) == 0 || errno == EEXIST else { throw BenchError("cannot create \(path)") }
    }
}
