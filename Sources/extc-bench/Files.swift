import ExtcSyntax
#if canImport(Glibc)
import Glibc
#endif

/// Scratch directories: benchmarks write only under a fresh mkdtemp directory, which
/// `Scratch.remove` deletes. Files inside are read and written with ExtcSyntax's FileIO.
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

    /// A file's text, read through the project's own FileIO.
    static func text(_ path: String) throws -> String { String(decoding: try FileIO.read(path), as: UTF8.self) }
}
