import ExtcSyntax
#if canImport(Glibc)
import Glibc
#endif

/// Reads files as they were at a git revision, through the `git` command (extc never links or
/// reimplements git). The child's output goes to a temporary file, not a pipe it could fill.
enum Git {
    /// The file's bytes at `revision`, or nil when it did not exist there.
    static func show(_ revision: String, _ path: String) throws -> [UInt8]? {
        let dir = FileIO.directory(of: path), name = FileIO.baseName(of: path)
        let out = "/tmp/extc-git-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        defer { unlink(out) }
        let status = try run(["git", "-C", dir, "show", "\(revision):./\(name)"], stdout: out)
        guard status == 0 else {
            // Does the revision exist at all? (If not, that is an error, not a missing file.)
            let known = try run(["git", "-C", dir, "rev-parse", "--verify", "--quiet", "\(revision)^{commit}"], stdout: "/dev/null")
            if known != 0 { throw IOError(revision, "is not a revision of the git repository at \(dir)") }
            return nil
        }
        return try FileIO.read(out)
    }

    /// The warning for a file holding keys that git would commit (`ignores` is false), if so.
    /// `path` is what extc wrote through: a symlink's target is the file that holds the keys.
    static func exposure(of path: String) -> String? {
        guard let file = try? FileIO.followLinks(path), FileIO.kind(file) == S_IFREG, ignores(file) == false else { return nil }
        let named = file == path ? path : "\(path) (\(FileIO.canonical(file)))"
        return "\(named) holds private keys, and git would commit it: add it to .gitignore, or build what you commit with --no-secrets"
    }

    /// Whether git would leave the regular file at `path` out of a commit (ignored, and not
    /// tracked); nil outside a git work tree, or when git cannot tell (not installed, an error).
    /// Git runs only when a `.git` is found above the file; the name is a plain path (never an
    /// option or pathspec magic), and the repository's fsmonitor hook is not run.
    static func ignores(_ path: String) -> Bool? {
        let dir = FileIO.directory(of: FileIO.canonical(path))
        guard FileIO.nearest(dir, where: { FileIO.exists("\($0)/.git") }) != nil else { return nil }
        // `./NAME` after `--`: never an option, and never pathspec magic (which starts with `:`;
        // check-ignore refuses --literal-pathspecs).
        let argv = ["git", "-c", "core.fsmonitor=false", "-C", dir, "check-ignore", "-q", "--", "./" + FileIO.baseName(of: path)]
        guard let status = try? run(argv, stdout: "/dev/null") else { return nil }
        return status == 0 ? true : status == 1 ? false : nil
    }

    private static func run(_ argv: [String], stdout: String) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        let rc = Spawn.withAttributes { posix_spawnp(&pid, argv[0], &actions, $0, cArgs, environ) }
        guard rc == 0 else { throw IOError("git", "cannot run git: \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
