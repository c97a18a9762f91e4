import ExtcEmit
import ExtcSyntax
import Foundation

/// A layout directory as one reader sees it: the directory is opened once and every file is read
/// relative to that descriptor, as a reader that must not see a mix would read it.
enum LayoutSet {
    /// Relative name -> contents, for the top level and `secrets/`; nil when the directory is absent.
    static func read(_ dir: String) -> [String: String]? { snapshot(dir)?.files }

    /// The files, and whether the set was retired while they were read: the path then names
    /// another directory than the one read (extc published a newer set and removes the old one).
    /// A reader that must not see a mix reads again when `retired`.
    static func snapshot(_ dir: String) -> (files: [String: String], retired: Bool)? {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let files = read(fd)
        var held = stat(), now = stat()
        let retired = fstat(fd, &held) != 0 || stat(dir, &now) != 0 || held.st_ino != now.st_ino || held.st_dev != now.st_dev
        return (files, retired)
    }

    private static func read(_ fd: Int32) -> [String: String] {
        var files: [String: String] = [:]
        for name in names(fd) {
            if name == "secrets" {
                let sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                guard sub >= 0 else { continue }
                for child in names(sub) { files["secrets/\(child)"] = contents(sub, child) }
                close(sub)
            } else {
                files[name] = contents(fd, name)
            }
        }
        return files
    }

    /// Why the files are not one build's set, if they are not: the Service and every APIService
    /// name one service, kustomization.yaml lists only files that are there, and the two records
    /// (`.extc-files`, `.extc-secret-files`) list exactly extc's files.
    static func inconsistency(_ files: [String: String]) -> String? {
        // Read by file name and one pattern rather than parsed, to read fast enough to overlap builds:
        // `09-service.NS.NAME.yaml` (not etcd's), and each APIService's `service: {namespace, name}`.
        let services = files.keys.filter { $0.hasPrefix("09-service.") && !$0.contains("-etcd") }
            .map { String($0.dropFirst("09-service.".count).dropLast(".yaml".count).split(separator: ".").last ?? "") }
        let targets = Set(files.filter { $0.key.hasPrefix("14-apiservice.") }.values.compactMap { text in
            text.firstMatch(of: /service:\n +namespace: \S+\n +name: (\S+)/).map { String($0.1) }
        })
        if services.count != 1 || targets != Set(services) { return "Services \(services.sorted()), APIServices for \(targets.sorted())" }
        if let k = files["kustomization.yaml"], let doc = try? YAMLReader.read(k).first {
            let missing = (doc["resources"]?.listValue ?? []).compactMap(\.stringValue).filter { files[$0] == nil }
            if !missing.isEmpty { return "kustomization.yaml lists missing \(missing)" }
        }
        if let m = files[OutputWriter.manifest] {
            let records = m + (files[OutputWriter.secretManifest] ?? "")
            let listed = Set(records.split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init))
            let present = Set(files.keys.filter { !FileIO.baseName(of: $0).hasPrefix(".") && $0 != "NOTES.md" })
            if listed != present { return "manifest and files differ: \(listed.symmetricDifference(present).sorted())" }
        }
        return nil
    }

    private static func names(_ fd: Int32) -> [String] {
        guard let d = fdopendir(dup(fd)) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != ".", name != ".." { out.append(name) }
        }
        return out
    }

    private static func contents(_ dir: Int32, _ name: String) -> String? {
        let fd = openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        var out = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
