#if canImport(Glibc)
import Glibc
#endif

/// New files made durable together. Each is written, given its mode and its writeback started
/// (Linux's sync_file_range) as it is added; `sync()` then fsyncs them all. The writes reach the
/// disk together and each fsync waits only for its own file's: 8 files in 0.94 ms rather than
/// 1.48 ms one after another, 12 in 1.44 rather than 2.33 (README, Benchmarks). No threads: a
/// build of many servers already runs its parts on every core.
///
/// Owns the descriptors of the files not yet synced, at most `limit` (a batch that reaches it
/// syncs what it holds first, so thousands of files never hold thousands of descriptors); they
/// are closed by `sync()`, or by deinit when a failure ends the batch early.
public final class SyncBatch {
    private var open: [(fd: Int32, path: String)] = []
    private let limit: Int

    public init(limit: Int = 64) { self.limit = max(1, limit) }

    deinit { for f in open { close(f.fd) } }

    /// Creates `path` (which must not exist) holding `bytes` with `mode`: 0600 with O_EXCL, every
    /// byte written, then its mode.
    public func create(_ path: String, _ bytes: [UInt8], mode: mode_t) throws {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw IOError.errno(path, "cannot create") }
        try add(fd, path, mode: mode) { FileIO.writeAll(fd, bytes[...]) }
    }

    /// Takes `fd`, a new file at `path`: `write` fills it, and it gets `mode`.
    public func add(_ fd: Int32, _ path: String, mode: mode_t, _ write: () -> Bool) throws {
        open.append((fd, path))  // owned from here: closed by sync() or deinit
        guard write(), fchmod(fd, mode) == 0 else { throw IOError.errno(path, "cannot write") }
        _ = Self.syncFileRange?(fd, 0, 0, Self.syncFileRangeWrite)
        if open.count >= limit { try sync() }
    }

    /// Every file added so far on disk (fsync), in the order added; their descriptors closed.
    public func sync() throws {
        defer {
            for f in open { close(f.fd) }
            open = []
        }
        for f in open where fsync(f.fd) != 0 { throw IOError.errno(f.path, "cannot write") }
    }

    /// glibc's sync_file_range, which Swift's Glibc module does not declare, and its
    /// SYNC_FILE_RANGE_WRITE: start writing the dirty pages, without waiting. Only a head start
    /// for the fsync, which alone makes the file durable; where the call is missing, fsync does it all.
    private typealias SyncFileRange = @convention(c) (Int32, off_t, off_t, UInt32) -> Int32
    private static let syncFileRange: SyncFileRange? = dlsym(nil, "sync_file_range").map { unsafeBitCast($0, to: SyncFileRange.self) }
    private static let syncFileRangeWrite: UInt32 = 2
}
