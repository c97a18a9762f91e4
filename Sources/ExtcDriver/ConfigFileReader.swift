import ExtcCheck
import ExtcLower
import ExtcSyntax

/// Reads the files of every `volume NAME { files ... }` (paths relative to the spec), for the
/// ConfigMaps the lowering generates. A file that cannot be read, is not UTF-8 text, holds a
/// private key (PEM), or makes the ConfigMap larger than Kubernetes allows is E0307 at the
/// `files` entry.
enum ConfigFileReader {
    /// A ConfigMap's data may not exceed 1 MiB (etcd's object limit less room for metadata).
    static let limit = 1_000_000

    static func read(_ program: Program) -> (ConfigFiles, [Diagnostic]) { read(program.readers) }

    /// The files of these servers' volumes, and a diagnostic for each that cannot be read.
    static func read(_ servers: [APIServer]) -> (ConfigFiles, [Diagnostic]) {
        var out = ConfigFiles()
        var diagnostics: [Diagnostic] = []
        for server in servers {
            for v in server.volumes {
                guard case .files(let paths) = v.source.value else { continue }
                var files: [(key: String, text: String)] = []
                var total = 0
                for path in paths {
                    let full = resolved(path, server)
                    func fail(_ message: String, _ help: String) {
                        diagnostics.append(Diagnostic(.configFileUnreadable, message, at: v.source.span, note: "named here", help: help))
                    }
                    guard let bytes = try? FileIO.read(full) else {
                        fail("cannot read \(full)", "paths are relative to the spec's directory")
                        continue
                    }
                    guard let text = String(validating: bytes, as: UTF8.self) else {
                        fail("\(full) is not UTF-8 text", "a generated ConfigMap holds text; mount binary files from a Secret or ConfigMap of your own")
                        continue
                    }
                    // Never quoted: the message names the file, not what is in it.
                    if FileIO.holdsPrivateKey(bytes) {
                        fail("\(full) holds a private key, which a ConfigMap would publish (and extc would print)",
                             "mount keys from a Secret of your own: `volume NAME { secret SECRET; mount PATH }`")
                        continue
                    }
                    total += bytes.count
                    files.append((FileIO.baseName(of: path), text))
                }
                if total > limit {
                    diagnostics.append(Diagnostic(.configFileUnreadable, "volume `\(v.name.value)` holds \(total) bytes; a ConfigMap holds at most \(limit)",
                                                  at: v.source.span, note: "too large", help: "split the files over several volumes"))
                }
                out.set(server: server.name.value, volume: v.name.value, files: files)
            }
        }
        return (out, diagnostics)
    }

    /// Every file the program's volumes name, for watch.
    static func paths(_ program: Program) -> [String] {
        var files: [String] = []
        for s in program.readers {
            for v in s.volumes { if case .files(let paths) = v.source.value { files += paths.map { resolved($0, s) } } }
        }
        return files
    }

    private static func resolved(_ path: String, _ server: APIServer) -> String {
        FileIO.resolve(path, relativeTo: FileIO.directory(of: server.span.file.path))
    }
}
