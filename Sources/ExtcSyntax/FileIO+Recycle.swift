import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// A file one process replaces again and again with text in pieces (a watch's stream). Each
/// replacement is atomic, as `FileIO.write`'s is, but the file it replaces is kept in a
/// directory beside it and written over as the next replacement. Only the pieces that differ
/// from what that file holds are written, in place, up to the first piece whose length changed;
/// from there the rest is written. Which pieces differ the caller says (`Revision`): comparing
/// would mean holding every version's pieces, and a new array of them per build. A save that
/// changes one server among thousands then writes kilobytes into pages already cached, where a
/// new file of many megabytes would be allocated and filled page by page (most of such a save's
/// time on the reference machine).
///
/// Invariants, which make writing over a file as safe as replacing it:
/// - A file is written over only while it is a regular file with one link, at the temporary name
///   this writer left it under, and no other process has it open: a write lease (F_SETLEASE) is
///   taken for the write, which the kernel grants only then, and an open meanwhile waits until
///   the lease is given back with the file complete. A reader of an older version keeps it.
/// - Only files this writer made are written over: the file found at the path when it starts is
///   replaced, never reused.
/// - What a held file holds (`Held.version`) is trusted only while its `stat` (size, times, the
///   change time included, which no one can set back, and mode) is as this writer left it;
///   otherwise it is written whole.
/// - Anything else (the spare gone, linked, open elsewhere, the lease refused) falls back to a new
///   temporary file, as `FileIO.write` makes.
/// - The spare, and each new file until it is published, lives in a directory of this writer's
///   beside the file (`.NAME.extc-new-…`, mode 0700, whose `.gitignore` ignores all of it, put
///   back if it goes), which `discard` removes: an earlier version, which may hold keys, is never
///   where git or another user would take it. The writer holds a shared `flock` on it, so no
///   sweep of a killed writer's leftovers takes it (`FileIO.removeUnlessLocked`).
///
/// Not synced: for output that the next build rewrites after a crash, as a watch's first build
/// does. Takes SIGIO (which a lease break sends) as ignored, for the whole process.
public final class RecycledFile {
    /// One version of the text: numbered by the caller, and, when it says so, the same as version
    /// `base` (as many pieces) but for the pieces at `places`.
    public struct Revision: Sendable {
        public let version: Int
        public let base: Int?
        public let places: [Int]

        public init(version: Int, base: Int?, places: [Int]) {
            (self.version, self.base, self.places) = (version, base, places)
        }
    }

    public let path: String
    /// Where `path` led (after symlinks) when `current` was published there, and the directory
    /// that was: a parent symlink retargeted, or the directory moved, starts the writer over.
    private var target: String?
    private var parent: Stamp?
    /// The file at `target`, as this writer published it.
    private var current: Held?
    /// The file `current` replaced, in `directory`: the next replacement.
    private var spare: (path: String, file: Held)?
    /// Where the spare and new files are made (see above; its canonical path), and the descriptor
    /// holding its lock; nil until the first write.
    private var directory: (path: String, fd: Int32)?
    /// The revisions written (or found already written) lately, by version: how the spare's
    /// version leads to the next.
    private var history: [Int: Revision] = [:]

    public init(_ path: String) {
        self.path = path
        signal(SIGIO, SIG_IGN)
    }

    deinit { discard() }

    /// A file this writer made or took over, open for reading and writing (a write lease needs a
    /// descriptor that writes, and any other descriptor, ours too, would refuse it).
    private struct Held {
        let fd: Int32
        /// The version it holds, and each piece's length in bytes; nil when unknown.
        var version: Int?
        var lengths: [Int]
        /// Its `stat` as this writer left it.
        var stamp: Stamp
    }

    /// What `stat` says changes when anyone writes a file, links it or changes its mode.
    private struct Stamp: Equatable {
        let device: UInt64, inode: UInt64, links: UInt64, size: Int, modified: Int, changed: Int, mode: mode_t

        init?(fd: Int32) {
            var st = stat()
            guard fstat(fd, &st) == 0 else { return nil }
            self.init(st)
        }

        init?(path: String) {
            var st = stat()
            guard lstat(path, &st) == 0 else { return nil }
            self.init(st)
        }

        /// What `path` names after symlinks.
        init?(following path: String) {
            var st = stat()
            guard stat(path, &st) == 0 else { return nil }
            self.init(st)
        }

        private init(_ st: stat) {
            (device, inode, links, size) = (UInt64(st.st_dev), UInt64(st.st_ino), UInt64(st.st_nlink), Int(st.st_size))
            modified = Int(st.st_mtim.tv_sec) * 1_000_000_000 + Int(st.st_mtim.tv_nsec)
            changed = Int(st.st_ctim.tv_sec) * 1_000_000_000 + Int(st.st_ctim.tv_nsec)
            mode = st.st_mode
        }

        func isFile(_ other: Stamp?) -> Bool { other.map { $0.device == device && $0.inode == inode } ?? false }
    }

    /// Replaces the file with `pieces` end to end, with `mode`; false when it held them already.
    /// A device or FIFO is written straight through, as `FileIO.write` does. Without a revision,
    /// nothing is known of how the text relates to earlier ones: it is compared with the file, and
    /// a file written over is written whole.
    public func write(_ pieces: [String], mode: mode_t, revision: Revision? = nil) throws -> Bool {
        let target = try FileIO.followLinks(path)
        let parent = Stamp(following: FileIO.directory(of: target))
        if target != self.target || parent?.isFile(self.parent) != true { discard() }
        (self.target, self.parent) = (target, parent)
        if let revision { remember(revision) }
        if FileIO.isSpecial(target) {
            let payload = FileIO.Payload(count: pieces.reduce(0) { $0 + $1.utf8.count }, holds: { _, _ in false },
                                         writeAll: { FileIO.writeAll($0, pieces: pieces) })
            try FileIO.writeThrough(payload, to: target, shownAs: path, keys: mode & 0o077 == 0)
            return true
        }
        if FileIO.isDirectory(target) { throw IOError(path, "is a directory") }
        if holds(pieces, mode: mode, at: target, revision) { return false }
        let (tmp, file) = try recycled(pieces, mode: mode, revision) ?? fresh(pieces, mode: mode, beside: target, revision)
        try publish(tmp, file, at: target)
        return true
    }

    /// Closes what this writer holds and removes its directory, with the spare.
    public func discard() {
        if let spare { Self.close(spare.file.fd) }
        if let current { Self.close(current.fd) }
        if let directory {
            FileIO.removeTree(directory.path)
            Temporaries.shared.untrack(under: directory.path)
            Glibc.close(directory.fd)
        }
        (spare, current, target, parent, directory, history) = (nil, nil, nil, nil, nil, [:])
    }

    /// Keeps `revision`, and those that lead from the spare's version to it.
    private func remember(_ revision: Revision) {
        history[revision.version] = revision
        let oldest = spare?.file.version ?? current?.version ?? revision.version
        history = history.filter { $0.key >= oldest }
    }

    /// The places where `revision`'s pieces may differ from `version`'s; nil when not known.
    private func places(from version: Int?, to revision: Revision?) -> [Int]? {
        guard let version, var step = revision else { return nil }
        var places = Set<Int>()
        while step.version != version {
            guard let base = step.base else { return nil }
            places.formUnion(step.places)
            if base == version { break }
            guard base < step.version, let earlier = history[base] else { return nil }
            step = earlier
        }
        return places.sorted()
    }

    /// This writer's directory beside `target`, made, locked and given its `.gitignore` if it is
    /// not there; its `.gitignore` put back if it is gone.
    private func workDirectory(beside target: String) throws -> String {
        if let directory {
            if Stamp(path: directory.path)?.isFile(Stamp(fd: directory.fd)) == true {
                if FileIO.kind("\(directory.path)/.gitignore") != S_IFREG { try ignoreAll(in: directory.path) }
                return directory.path
            }
            Temporaries.shared.untrack(under: directory.path)
            Glibc.close(directory.fd)
            self.directory = nil
        }
        FileIO.sweepTemporaries(for: target)  // a killed watch's, older than a minute
        let made = FileIO.canonical(try FileIO.makeStagingDirectory(beside: target))
        Temporaries.shared.track(made, directory: true)
        let fd = open(made, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0, flock(fd, LOCK_SH) == 0 else {
            let error = IOError.errno(made, "cannot lock")
            if fd >= 0 { Glibc.close(fd) }
            FileIO.removeTree(made)
            Temporaries.shared.untrack(under: made)
            throw error
        }
        directory = (made, fd)
        try ignoreAll(in: made)
        return made
    }

    private func ignoreAll(in dir: String) throws {
        Temporaries.shared.track("\(dir)/.gitignore", directory: false)
        try FileIO.write("*\n", to: "\(dir)/.gitignore", mode: 0o644, durable: false)
    }

    /// Whether the file at `target` holds `pieces` with `mode`: from the revisions while it is the
    /// file this writer published and left alone, else read and compared. Then it holds
    /// `revision`'s version.
    private func holds(_ pieces: [String], mode: mode_t, at target: String, _ revision: Revision?) -> Bool {
        guard let current, let now = Stamp(fd: current.fd), now == current.stamp, now.isFile(Stamp(path: target)) else {
            return FileIO.holds(pieces: pieces, at: target, mode: mode)
        }
        if let places = places(from: current.version, to: revision) {
            guard now.mode & 0o7777 == mode, places.isEmpty else { return false }
        } else {
            guard FileIO.holds(pieces: pieces, at: target, mode: mode) else { return false }
            self.current?.lengths = Self.lengths(pieces)
        }
        self.current?.version = revision?.version
        return true
    }

    /// The spare written over with `pieces`, or nil (the spare dropped) when it may not be.
    private func recycled(_ pieces: [String], mode: mode_t, _ revision: Revision?) throws -> (String, Held)? {
        guard let (tmp, file) = spare else { return nil }
        spare = nil
        // The lease first: while it is held nobody opens the file, and the links are counted after.
        guard fcntl(file.fd, Self.setLease, Int32(F_WRLCK)) == 0 else {
            drop(tmp, file.fd)
            return nil
        }
        guard let now = Stamp(fd: file.fd), now.links == 1, now.isFile(Stamp(path: tmp)) else {
            _ = fcntl(file.fd, Self.setLease, Int32(F_UNLCK))
            drop(tmp, file.fd)
            return nil
        }
        let changed = now == file.stamp && file.lengths.count == pieces.count ? places(from: file.version, to: revision) : nil
        var lengths = changed == nil ? Self.lengths(pieces) : file.lengths
        for p in changed ?? [] { lengths[p] = pieces[p].utf8.count }
        let ok = (now.mode & 0o7777 == mode || fchmod(file.fd, mode) == 0)
            && Self.overwrite(file.fd, lengths: file.lengths, with: pieces, lengths: lengths, at: changed)
        let failure = ok ? nil : IOError.errno(path, "cannot write")
        _ = fcntl(file.fd, Self.setLease, Int32(F_UNLCK))  // complete: whoever waited to open it may
        guard ok, let stamp = Stamp(fd: file.fd) else {
            drop(tmp, file.fd)
            throw failure ?? IOError.errno(path, "cannot write")
        }
        return (tmp, Held(fd: file.fd, version: revision?.version, lengths: lengths, stamp: stamp))
    }

    /// A new temporary file holding `pieces`.
    private func fresh(_ pieces: [String], mode: mode_t, beside target: String, _ revision: Revision?) throws -> (String, Held) {
        let (tmp, fd) = try FileIO.createTemporary(for: "\(try workDirectory(beside: target))/stream", shownAs: path, readable: true)
        let lengths = Self.lengths(pieces)
        FileIO.preallocate(fd, lengths.reduce(0, +))
        guard fchmod(fd, mode) == 0, FileIO.writeAll(fd, pieces: pieces), let stamp = Stamp(fd: fd) else {
            let error = IOError.errno(path, "cannot write")
            drop(tmp, fd)
            throw error
        }
        return (tmp, Held(fd: fd, version: revision?.version, lengths: lengths, stamp: stamp))
    }

    /// Puts `file`, at `tmp`, in place of `target`. Exchanged with the file this writer published
    /// there last, that file stays at `tmp` as the spare (what it holds unknown if another hand
    /// changed it); any other file that was there is removed, as a rename over it would.
    private func publish(_ tmp: String, _ file: Held, at target: String) throws {
        let replaced = current
        // Judged before the exchange, which changes both files' change times.
        let intact = replaced.map { Stamp(fd: $0.fd) == $0.stamp } ?? false
        current = nil
        if FileIO.exchangeWithFile(tmp, target) {
            current = Self.restamped(file)
            if var old = replaced, Stamp(path: tmp)?.isFile(old.stamp) == true {
                if !intact { old.version = nil }
                spare = (tmp, Self.restamped(old))
            } else {
                if let replaced { Self.close(replaced.fd) }
                unlink(tmp)
                Temporaries.shared.remove(tmp)
            }
            return
        }
        if let replaced { Self.close(replaced.fd) }
        guard rename(tmp, target) == 0 else {
            let error = IOError.errno(path, "cannot replace")
            drop(tmp, file.fd)
            throw error
        }
        Temporaries.shared.remove(tmp)
        current = Self.restamped(file)
    }

    /// `file` with its `stat` taken again (after a rename, which changes the change time).
    private static func restamped(_ file: Held) -> Held {
        var out = file
        if let now = Stamp(fd: file.fd) { out.stamp = now }
        return out
    }

    /// Removes the temporary file at `tmp` (if it is still `fd`'s) and closes `fd`.
    private func drop(_ tmp: String, _ fd: Int32) {
        if fd >= 0, Stamp(path: tmp)?.isFile(Stamp(fd: fd)) == true { unlink(tmp) }
        Temporaries.shared.remove(tmp)
        Self.close(fd)
    }

    /// Closes on another thread: the last close of a removed file frees its blocks, milliseconds
    /// for a stream of many megabytes.
    private static func close(_ fd: Int32) {
        guard fd >= 0 else { return }
        DispatchQueue.global(qos: .utility).async { _ = Glibc.close(fd) }
    }

    /// F_SETLEASE, from <linux/fcntl.h>, which Swift's Glibc module does not import.
    private static let setLease: Int32 = 1024
}
