import ExtcSyntax
#if canImport(Glibc)
import Glibc
#endif

/// Publishes a layout directory in one step, so that a reader, or a crash, sees the old set of
/// files or the new one, never a mix:
///
/// 1. the new set is made in a private (0700) staging directory beside the target: changed files
///    written and synced, unchanged ones and the user's own files hard-linked from the target (so
///    they keep their inode and times);
/// 2. the staging directory takes the target's mode and owner, and is exchanged with the target
///    (renameat2 RENAME_EXCHANGE; a plain rename when there is no target yet);
/// 3. anything that appeared in the old directory meanwhile is moved across, and the old
///    directory, now at the staging path, is removed. SIGINT, SIGTERM or SIGHUP before then
///    removes the staging directory (each path made in it is recorded); SIGKILL leaves it, for
///    the next build to remove once it is a minute old. Its `.gitignore` is written first, so
///    git ignores its Secrets even then.
///
/// Where this cannot hold, `publish` does nothing and returns false, and the caller writes file by
/// file: no renameat2 (not Linux, glibc before 2.28) or a filesystem without exchange; a target
/// that is a mount point or the working directory (or holds it); a target holding directories of
/// the user's own, or a symlink or special file where extc writes (whose rules are per file).
enum DirectoryPublisher {
    static func publish(_ plan: DirectoryPlan, at dir: String) throws -> Bool {
        let target = try FileIO.followLinks(dir)
        guard let carried = eligible(plan, target) else { return false }
        let parent = FileIO.directory(of: target)
        try FileIO.makeDirectory(parent)
        FileIO.sweepTemporaries(for: target)
        let staging = try FileIO.makeStagingDirectory(beside: target)
        Temporaries.shared.track(staging, directory: true)
        defer { Temporaries.shared.untrack(under: staging) }
        do {
            guard try populate(staging, plan, from: target, carrying: carried) else {
                FileIO.removeTree(staging)
                return false
            }
        } catch let error as IOError {
            FileIO.removeTree(staging)
            // Name the file the user asked for, not its place in the staging directory.
            throw error.path.hasPrefix(staging) ? IOError(dir + error.path.dropFirst(staging.count), error.reason) : error
        }
        return try swap(staging, into: target, plan: plan)
    }

    /// The user's files to carry into the new set (relative names), or nil when the target cannot
    /// be published in one step.
    private static func eligible(_ plan: DirectoryPlan, _ target: String) -> [String]? {
        guard FileIO.exchangeAvailable, !holdsWorkingDirectory(target) else { return nil }
        guard let kind = FileIO.kind(target) else { return [] }  // nothing there yet
        guard kind == S_IFDIR, !isMountPoint(target) else { return nil }
        let written = Set(plan.entries.map(\.name)), removed = Set(plan.report.removed)
        let ourDirectories = Set(plan.extcNames.union(plan.withheld).filter { $0.contains("/") }.map { FileIO.directory(of: $0) })
        // Each file there is written anew (it must be a regular file: a symlink or device where
        // extc writes follows the per-file rules), removed, or carried over as it is (the user's
        // own, and key files a build without Secrets leaves alone).
        var carried: [String] = []
        func classify(_ path: String, _ kind: mode_t?) -> Bool {
            if written.contains(path) { return kind == S_IFREG }
            if !removed.contains(path) { carried.append(path) }
            return true
        }
        for name in FileIO.list(target) where !FileIO.isTemporaryName(name) {
            let kind = FileIO.kind("\(target)/\(name)")
            guard kind == S_IFDIR else {
                guard classify(name, kind) else { return nil }
                continue
            }
            guard ourDirectories.contains(name) else { return nil }  // a directory of the user's
            for child in FileIO.list("\(target)/\(name)") where !FileIO.isTemporaryName(child) {
                let path = "\(name)/\(child)", kind = FileIO.kind("\(target)/\(name)/\(child)")
                guard kind != S_IFDIR, classify(path, kind) else { return nil }
            }
        }
        return carried
    }

    /// Fills the staging directory; false when a link cannot be made here (another filesystem
    /// below the target, a filesystem without hard links), so the caller falls back.
    private static func populate(_ staging: String, _ plan: DirectoryPlan, from target: String, carrying carried: [String]) throws -> Bool {
        let subdirectories = Set((plan.entries.map(\.name) + carried).filter { $0.contains("/") }.map { FileIO.directory(of: $0) })
        for d in subdirectories.sorted() {
            guard mkdir("\(staging)/\(d)", 0o700) == 0 else { throw IOError.errno("\(staging)/\(d)", "cannot create directory") }
            Temporaries.shared.track("\(staging)/\(d)", directory: true)
        }
        // Entries made in the plan's order (its `.gitignore` first); the new files synced together.
        let batch = SyncBatch()
        for e in plan.entries {
            Temporaries.shared.track("\(staging)/\(e.name)", directory: false)
            if e.unchanged {
                guard FileIO.link("\(target)/\(e.name)", to: "\(staging)/\(e.name)") else { return false }
            } else {
                try batch.create("\(staging)/\(e.name)", e.bytes, mode: e.mode)
            }
        }
        try batch.sync()
        for name in carried {
            Temporaries.shared.track("\(staging)/\(name)", directory: false)
            guard FileIO.link("\(target)/\(name)", to: "\(staging)/\(name)") else { return false }
        }
        for d in subdirectories { FileIO.syncDirectory("\(staging)/\(d)") }
        var st = stat()
        if stat(target, &st) == 0 {
            _ = chown(staging, st.st_uid, st.st_gid)  // as the target was (when running as root)
            guard chmod(staging, st.st_mode & 0o7777) == 0 else { throw IOError.errno(target, "cannot set the mode of the new set") }
        } else {
            guard chmod(staging, 0o755) == 0 else { throw IOError.errno(target, "cannot set the mode of the new set") }
        }
        FileIO.syncDirectory(staging)
        return true
    }

    /// Puts the staging directory at `target`; the old set, now at the staging path, is removed.
    private static func swap(_ staging: String, into target: String, plan: DirectoryPlan) throws -> Bool {
        let parent = FileIO.directory(of: target)
        if FileIO.kind(target) == nil {
            guard rename(staging, target) == 0 else {
                let error = IOError.errno(target, "cannot create")
                FileIO.removeTree(staging)
                throw error
            }
            FileIO.syncDirectory(parent)
            return true
        }
        guard FileIO.exchange(staging, target) else {
            FileIO.removeTree(staging)
            return false  // this filesystem cannot exchange: file by file
        }
        FileIO.syncDirectory(parent)
        // `staging` now holds the old set. A file the user added while the new set was made
        // is moved across rather than lost.
        let ours = plan.extcNames
        for name in FileIO.list(staging) where !ours.contains(name) && !FileIO.isTemporaryName(name) && FileIO.kind("\(target)/\(name)") == nil {
            _ = rename("\(staging)/\(name)", "\(target)/\(name)")
        }
        FileIO.removeTree(staging)
        return true
    }

    /// The process's working directory is the target or inside it: exchanging would leave the
    /// process (and whoever shares that directory) in the old, removed one.
    private static func holdsWorkingDirectory(_ target: String) -> Bool {
        let cwd = FileIO.canonical("."), t = FileIO.canonical(target)
        return cwd == t || cwd.hasPrefix(t.hasSuffix("/") ? t : t + "/")
    }

    private static func isMountPoint(_ path: String) -> Bool {
        var a = stat(), b = stat()
        guard stat(path, &a) == 0, stat(FileIO.directory(of: path) + "/.", &b) == 0 else { return true }
        return a.st_dev != b.st_dev || a.st_ino == b.st_ino  // `/` is its own parent
    }
}
