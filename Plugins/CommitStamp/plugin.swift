import Foundation
import PackagePlugin

/// Stamps the git commit the `extc` target is built from into a generated `extcCommit`
/// constant, for `extc --version`. A prebuild command, so it runs on every build; the file is
/// replaced only when the commit (or its `-dirty` mark) changed, so an unchanged tree recompiles
/// nothing. Outside a git checkout (a source archive) the commit is `unknown`.
@main
struct CommitStamp: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let out = context.pluginWorkDirectoryURL.appending(path: "Stamp")
        let file = out.appending(path: "Commit.swift")
        let script = """
            mkdir -p "$(dirname "$2")"
            c=$(git -C "$1" describe --always --dirty --abbrev=12 2>/dev/null) || c=unknown
            printf '/// The git commit this build is from (`git describe --always --dirty`).\\nlet extcCommit = "%s"\\n' "$c" > "$2.tmp"
            if cmp -s "$2.tmp" "$2"; then rm -f "$2.tmp"; else mv "$2.tmp" "$2"; fi
            """
        return [.prebuildCommand(displayName: "Stamping the git commit into extc --version",
                                 executable: URL(fileURLWithPath: "/bin/sh"),
                                 arguments: ["-c", script, "sh", context.package.directoryURL.path, file.path],
                                 outputFilesDirectory: out)]
    }
}
