import Foundation
import PackagePlugin

/// Stamps the git commit the `extc` target is built from into a generated `extcCommit`
/// constant, for `extc --version`. A build command whose inputs are git's record of the commit
/// (HEAD, the branch's ref, the index) and every source file of the package: SwiftPM runs it
/// again whenever one of them changes, so a commit, a checkout or an edit restamps the next
/// build, and an unchanged tree runs nothing. (A prebuild command runs only when SwiftPM plans
/// the build anew, which a commit alone does not cause: the stamp then named an older commit.)
/// The file is replaced only when the commit (or its `-dirty` mark) changed. Outside a git
/// checkout (a source archive) the commit is `unknown`.
@main
struct CommitStamp: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let out = context.pluginWorkDirectoryURL.appending(path: "Stamp")
        let file = out.appending(path: "Commit.swift")
        let root = context.package.directoryURL
        let script = """
            mkdir -p "$(dirname "$2")"
            c=$(git -C "$1" describe --always --dirty --abbrev=12 2>/dev/null) || c=unknown
            printf '/// The git commit this build is from (`git describe --always --dirty`).\\nlet extcCommit = "%s"\\n' "$c" > "$2.tmp"
            if cmp -s "$2.tmp" "$2"; then rm -f "$2.tmp"; else mv "$2.tmp" "$2"; fi
            """
        return [.buildCommand(displayName: "Stamping the git commit into extc --version",
                              executable: URL(fileURLWithPath: "/bin/sh"),
                              arguments: ["-c", script, "sh", root.path, file.path],
                              inputFiles: Self.gitRecords(root) + Self.sources(context.package),
                              outputFiles: [file])]
    }

    /// The files git changes on a commit, a checkout or an add, where they exist.
    static func gitRecords(_ root: URL) -> [URL] {
        let git = root.appending(path: ".git")
        var files = ["HEAD", "index", "packed-refs"].map { git.appending(path: $0) }
        if let head = try? String(contentsOf: git.appending(path: "HEAD"), encoding: .utf8), head.hasPrefix("ref: ") {
            files.append(git.appending(path: head.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        return files.filter { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// Every source file of every target, for the `-dirty` mark.
    static func sources(_ package: Package) -> [URL] {
        package.targets.compactMap { $0 as? SourceModuleTarget }.flatMap { $0.sourceFiles.map(\.url) }
    }
}
