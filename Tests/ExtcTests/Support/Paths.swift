import Foundation

/// Where the package, its fixtures and the built binary are.
enum Paths {
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var tests: String { "\(packageRoot)/Tests/ExtcTests" }
    static var fixtures: String { "\(tests)/Fixtures" }
    static var golden: String { "\(tests)/Golden" }
    static var samples: String { "\(packageRoot)/samples" }

    /// Every sample: `samples/*.ext` (which build together) and `samples/*/*.ext` (alternatives
    /// to a top-level sample, such as `samples/cluster/wardle.ext`, each built on its own).
    static func sampleFiles() -> [String] { topSamples() + sampleSets().flatMap { files(in: "\(samples)/\($0)", ext: "ext") } }

    /// `samples/*.ext`: one consistent set of API servers.
    static func topSamples() -> [String] { files(in: samples, ext: "ext") }

    /// The subdirectories of samples/, each a set of its own.
    static func sampleSets() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: samples)) ?? []).sorted().filter { name in
            var dir: ObjCBool = false
            return FileManager.default.fileExists(atPath: "\(samples)/\(name)", isDirectory: &dir) && dir.boolValue
        }
    }

    /// A sample's name for goldens: `wardle`, `cluster-wardle`.
    static func sampleName(_ path: String) -> String {
        let relative = path.hasPrefix(samples + "/") ? String(path.dropFirst(samples.count + 1)) : (path as NSString).lastPathComponent
        return (relative as NSString).deletingPathExtension.replacingOccurrences(of: "/", with: "-")
    }

    static func files(in dir: String, ext: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { $0.hasSuffix(".\(ext)") }.sorted().map { "\(dir)/\($0)" }
    }

    /// The `extc` binary built beside the test bundle.
    static let extc: String = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("extc").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return "\(packageRoot)/.build/debug/extc"
    }()

    /// A fresh temporary directory, removed by the caller with `cleanUp`.
    static func temporaryDirectory(_ label: String = "extc") -> String {
        let path = NSTemporaryDirectory() + "\(label)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func cleanUp(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

    static func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    static func write(_ text: String, to path: String) {
        try! FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
