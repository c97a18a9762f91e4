#if canImport(Glibc)
import Glibc
#endif

// Whole-directory operations for publishing a layout in one step. Linux only: the exchange is
// renameat2(RENAME_EXCHANGE), looked up at run time (glibc 2.28 and later; Swift's Glibc module
// does not declare it), so an older system simply reports it unavailable.
extension FileIO {
    private typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
    private static let renameExchange: UInt32 = 1 << 1

    private static let renameat2: RenameAt2? = dlsym(nil, "renameat2").map { unsafeBitCast($0, to: RenameAt2.self) }

    public static var exchangeAvailable: Bool { renameat2 != nil }

    /// A name extc gives a file or directory while it is being made (`.NAME.extc-tmp-...`,
    /// `.NAME.extc-new-...`): never part of a set, never carried over.
    public static func isTemporaryName(_ name: String) -> Bool {
        name.hasPrefix(".") && (name.contains(".extc-tmp-") || name.contains(".extc-new-"))
    }

    /// Swaps two paths in one step (both must exist, on one filesystem). False, with errno set,
    /// when the system or filesystem cannot (ENOSYS, EINVAL, EXDEV, EBUSY...).
    public static func exchange(_ a: String, _ b: String) -> Bool {
        guard let renameat2 else { Glibc.errno = ENOSYS; return false }
        return renameat2(AT_FDCWD, a, AT_FDCWD, b, renameExchange) == 0
    }

    /// A second name for what `source` names (a symlink stays a symlink); false with errno set.
    public static func link(_ source: String, to destination: String) -> Bool {
        linkat(AT_FDCWD, source, AT_FDCWD, destination, 0) == 0
    }

    /// The kind of what the path names, without following a final symlink; nil when nothing is there.
    public static func kind(_ path: String) -> mode_t? {
        var st = stat()
        return lstat(path, &st) == 0 ? st.st_mode & S_IFMT : nil
    }

    /// Removes a directory and everything under it, never following a symlink out of it. Each
    /// directory's `.gitignore` goes last, so a removal cut short never leaves a Secret that git
    /// would take. Best effort: what cannot be removed stays.
    public static func removeTree(_ path: String) {
        guard kind(path) == S_IFDIR else { unlink(path); return }
        let names = list(path)
        for name in names.filter({ $0 != ".gitignore" }) + names.filter({ $0 == ".gitignore" }) { removeTree("\(path)/\(name)") }
        rmdir(path)
    }

    /// Syncs a directory's entries to disk (after a rename in it); errors are ignored, as a
    /// filesystem without directory fsync has nothing more to do.
    public static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { _ = fsync(fd); close(fd) }
    }

    /// A new directory beside `target` named `.BASE.extc-new-` and 16 random hex digits, mode 0700.
    public static func makeStagingDirectory(beside target: String) throws -> String {
        for _ in 0..<8 {
            var generator = SystemRandomNumberGenerator()
            let hex = String(generator.next() as UInt64, radix: 16)
            let path = "\(directory(of: target))/\(stagingPrefix(for: target))\(String(repeating: "0", count: 16 - hex.count))\(hex)"
            if mkdir(path, 0o700) == 0 { return path }
            if Glibc.errno != EEXIST { throw IOError.errno(path, "cannot create directory") }
        }
        throw IOError(target, "cannot create a staging directory beside it")
    }

    public static func stagingPrefix(for target: String) -> String { ".\(baseName(of: target)).extc-new-" }

    /// Removes a leftover directory unless a live writer holds a lock on it (a watch's stream
    /// directory, `RecycledFile`, idle for more than a minute); removed under an exclusive lock,
    /// so no writer takes it meanwhile.
    static func removeUnlessLocked(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return }
        defer { close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { return }
        removeTree(path)
    }
}
