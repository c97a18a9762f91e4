import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed file operation: the path and the system's reason.
public struct IOError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String

    public init(_ path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }

    public static func errno(_ path: String, _ what: String) -> IOError {
        IOError(path, "\(what): \(String(cString: strerror(Glibc.errno)))")
    }

    public var description: String { "\(path): \(reason)" }
}

/// File reads and writes. Every file extc writes goes through `write`, whose rules are:
///
/// - a symlink is followed, and its target replaced (the link stays a link);
/// - a regular file (or nothing) at the path is replaced atomically: the bytes go to a temporary
///   file beside it (an unpredictable name, created with O_EXCL and mode 0600 before any byte is
///   written), which is synced, given its final mode, renamed over the target, and the directory
///   synced; a reader sees the old file or the new one, never a part;
/// - anything else (a device, a FIFO, a socket, /dev/stdout) is written straight through, never
///   read back, renamed over or truncated;
/// - every failure throws, naming the path.
public enum FileIO {
    public static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IOError.errno(path, "cannot read") }
        defer { close(fd) }
        return try read(fd: fd, name: path)
    }

    /// Everything an open descriptor yields until EOF; more than `limit` bytes is an error.
    public static func read(fd: Int32, name: String, limit: Int = Int.max) throws -> [UInt8] {
        var out: [UInt8] = []
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG {
            out = try readKnownSize(fd: fd, name: name, size: min(Int(st.st_size), limit))
            guard out.count <= limit else { throw IOError(name, "has more than \(limit) bytes") }
            if out.count <= Int(st.st_size) { return out }
        }
        // A pipe, a device, or a regular file that grew while read: a chunk at a time.
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0, Glibc.errno == EINTR { continue }
            guard n >= 0 else { throw IOError.errno(name, "cannot read") }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
            guard out.count <= limit else { throw IOError(name, "has more than \(limit) bytes") }
        }
    }

    /// A regular file of `size` bytes, read straight into one array of `size + 1` (the extra byte
    /// shows whether the file ended where its size said): no zero-filled buffer, no copy. A
    /// state directory's certificates are read a thousand at a time.
    private static func readKnownSize(fd: Int32, name: String, size: Int) throws -> [UInt8] {
        var failure: Int32 = 0
        let out = [UInt8](unsafeUninitializedCapacity: size + 1) { buffer, count in
            count = 0
            while count < buffer.count {
                let n = Glibc.read(fd, buffer.baseAddress! + count, buffer.count - count)
                if n < 0, Glibc.errno == EINTR { continue }
                if n < 0 { failure = Glibc.errno }
                if n <= 0 { return }
                count += n
            }
        }
        guard failure == 0 else {
            Glibc.errno = failure
            throw IOError.errno(name, "cannot read")
        }
        return out
    }

    /// The absolute path `path` names, with symlinks resolved as far as the path exists: its
    /// longest existing ancestor through realpath(3), then the components that do not exist yet,
    /// with `.` dropped and `..` taking one back (exact there: what does not exist is no symlink).
    /// So two spellings of one place, relative or absolute, existing or not, give one answer.
    public static func canonical(_ path: String) -> String {
        var components = absolute(path).split(separator: "/").map(String.init)
        var missing: [String] = []
        while true {
            let prefix = "/" + components.joined(separator: "/")
            if let real = realPath(prefix) { return appending(missing, to: real) }
            guard let last = components.popLast() else { return appending(missing, to: "/") }
            missing.insert(last, at: 0)
        }
    }

    /// `path` against the working directory unless it is absolute.
    private static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "/" + path }
        return text(buffer) + "/" + path
    }

    private static func realPath(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        return realpath(path, &buffer) != nil ? text(buffer) : nil
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `base` (absolute, resolved) with `components` appended: `.` skipped, `..` one level up.
    private static func appending(_ components: [String], to base: String) -> String {
        var parts = base.split(separator: "/").map(String.init)
        for c in components where c != "." {
            if c == ".." { _ = parts.popLast() } else { parts.append(c) }
        }
        return "/" + parts.joined(separator: "/")
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// A regular file, or a symlink to one.
    public static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    /// Something at the path that is neither a regular file nor a directory (after symlinks).
    public static func isSpecial(_ path: String) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return false }
        let kind = st.st_mode & S_IFMT
        return kind != S_IFREG && kind != S_IFDIR
    }

    /// Writes with `mode` by the rules above; returns false (and writes nothing) when a regular
    /// file already holds exactly these bytes with this mode.
    /// `durable` false (for caches and records that the next build can rebuild) skips both
    /// fsyncs; the replacement is still atomic.
    @discardableResult
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644, durable: Bool = true) throws -> Bool {
        try bytes.withUnsafeBytes { try write($0, to: path, mode: mode, durable: durable) }
    }

    /// As `write(_:to:)`, from the text's own UTF-8 storage (a large output is not copied).
    @discardableResult
    public static func write(_ text: String, to path: String, mode: mode_t = 0o644, durable: Bool = true) throws -> Bool {
        var text = text
        return try text.withUTF8 { try write(UnsafeRawBufferPointer($0), to: path, mode: mode, durable: durable) }
    }

    private static func write(_ bytes: UnsafeRawBufferPointer, to path: String, mode: mode_t, durable: Bool) throws -> Bool {
        try write(Payload(count: bytes.count, holds: { holds(bytes, at: $0, mode: $1) }, writeAll: { writeAll($0, bytes) }),
                  to: path, mode: mode, durable: durable) != .unchanged
    }

    /// As `write(_:to:)`, for text in pieces end to end (a stream's documents): compared with the
    /// file and written through one small buffer, never joined into one large string.
    @discardableResult
    public static func write(pieces: [String], to path: String, mode: mode_t = 0o644, durable: Bool = true) throws -> Bool {
        try written(pieces: pieces, to: path, mode: mode, durable: durable) != .unchanged
    }

    /// How a write left the file's name, for a caller that tells its own inotify events from
    /// others' (a watch's layout mirror).
    public enum Written: Sendable {
        /// The file already held the bytes: no event.
        case unchanged
        /// Renamed onto the name (or written through a device): one IN_MOVED_TO.
        case renamed
        /// Exchanged with the file that had the name (`swapIn`): IN_MOVED_TO, then IN_MOVED_FROM.
        case exchanged
    }

    /// As `write(pieces:to:mode:durable: false)`, saying how the name was written.
    public static func writeNotSynced(pieces: [String], to path: String, mode: mode_t) throws -> Written {
        try written(pieces: pieces, to: path, mode: mode, durable: false)
    }

    private static func written(pieces: [String], to path: String, mode: mode_t, durable: Bool) throws -> Written {
        try write(Payload(count: pieces.reduce(0) { $0 + $1.utf8.count }, holds: { holds(pieces: pieces, at: $0, mode: $1) },
                          writeAll: { writeAll($0, pieces: pieces) }), to: path, mode: mode, durable: durable)
    }

    /// What a write puts in a file: whether a file already holds it, and how to write it all to a
    /// descriptor (false on any error, errno telling which). Used only within the call it is made for.
    struct Payload {
        /// Exactly the bytes `writeAll` writes: the file is preallocated to this size, so a larger
        /// count would leave it longer than its text.
        let count: Int
        let holds: (_ path: String, _ mode: mode_t) -> Bool
        let writeAll: (_ fd: Int32) -> Bool
    }

    private static func write(_ payload: Payload, to path: String, mode: mode_t, durable: Bool) throws -> Written {
        let target = try followLinks(path)
        if isSpecial(target) {
            try writeThrough(payload, to: target, shownAs: path, keys: mode & 0o077 == 0)
            return .renamed
        }
        if isDirectory(target) { throw IOError(path, "is a directory") }
        if payload.holds(target, mode) { return .unchanged }
        return try replace(target, with: payload, mode: mode, shownAs: path, durable: durable)
    }

    /// The path a chain of symlinks ends at (which may not exist yet); at most 40 links.
    public static func followLinks(_ path: String) throws -> String {
        var current = path
        for _ in 0..<40 {
            var st = stat()
            guard lstat(current, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(current, &buffer, buffer.count - 1)
            guard n > 0 else { throw IOError.errno(path, "cannot read the link") }
            let link = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = resolve(link, relativeTo: directory(of: current))
        }
        throw IOError(path, "too many levels of symbolic links")
    }

    /// `keys`: the text is private (written 0600 to a file), so it goes to no terminal and to no
    /// FIFO that others may open; refused before a byte is written.
    static func writeThrough(_ payload: Payload, to target: String, shownAs path: String, keys: Bool) throws {
        // A FIFO is judged before the open, which waits for a reader.
        var st = stat()
        if keys, stat(target, &st) == 0, let refusal = refusal(st, terminal: false) { throw IOError(path, refusal) }
        let fd = open(target, O_WRONLY | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { throw IOError.errno(path, "cannot write") }
        defer { close(fd) }
        if keys, fstat(fd, &st) == 0, let refusal = refusal(st, terminal: isatty(fd) == 1) { throw IOError(path, refusal) }
        guard payload.writeAll(fd) else { throw IOError.errno(path, "cannot write") }
    }

    /// Why private text may not go to a special file (`st`), if it may not.
    private static func refusal(_ st: stat, terminal: Bool) -> String? {
        if terminal { return "is a terminal, and private keys are never shown on one; write to a file or a pipe, or build with --no-secrets" }
        if st.st_mode & S_IFMT == S_IFIFO, !isPrivateFIFO(st) {
            return "is a FIFO that others may open (mode \(String(st.st_mode & 0o777, radix: 8)), owner uid \(st.st_uid)), so the private keys were not written; "
                + "use a FIFO of your own made with mode 0600 before its reader opens it, or build with --no-secrets"
        }
        return nil
    }

    /// Whether `bytes` hold a PEM private key (`-----BEGIN ... PRIVATE KEY-----`, any type):
    /// text extc never shows. memchr finds each `P`, so a spec of megabytes is scanned in well
    /// under a millisecond.
    public static func holdsPrivateKey(_ bytes: [UInt8]) -> Bool {
        let marker = Array("PRIVATE KEY-----".utf8)
        return bytes.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress, b.count >= marker.count else { return false }
            var i = 0
            while i <= b.count - marker.count {
                guard let hit = memchr(base + i, Int32(marker[0]), b.count - marker.count + 1 - i) else { return false }
                i = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                if memcmp(base + i, marker, marker.count) == 0 { return true }
                i += 1
            }
            return false
        }
    }

    /// A named FIFO only its owner, this process's user, may open. (A reader that opened it before
    /// a chmod keeps it; so a FIFO is judged as it is, never made private here.)
    public static func isPrivateFIFO(_ st: stat) -> Bool {
        st.st_mode & 0o077 == 0 && st.st_uid == geteuid()
    }

    /// Writes every byte, retrying on EINTR; false on any error (errno tells which).
    public static func writeAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.withUnsafeBytes { writeAll(fd, $0) }
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var rest = bytes[...]
        while !rest.isEmpty {
            let n = Glibc.write(fd, bytes.baseAddress! + rest.startIndex, rest.count)
            if n < 0, Glibc.errno == EINTR { continue }
            guard n > 0 else { return false }
            rest = rest.dropFirst(n)
        }
        return true
    }

    private static func replace(_ target: String, with payload: Payload, mode: mode_t, shownAs path: String, durable: Bool) throws -> Written {
        let dir = directory(of: target)
        sweepTemporaries(for: target)
        let (tmp, fd) = try createTemporary(for: target, shownAs: path)
        preallocate(fd, payload.count)
        var ok = payload.writeAll(fd) && fchmod(fd, mode) == 0 && (!durable || fsync(fd) == 0)  // the mode synced too
        let failure = ok ? nil : IOError.errno(path, "cannot write")
        close(fd)
        let retired = Retired.open(target)
        let exchanged = ok && !durable && swapIn(tmp, target)
        ok = ok && (exchanged || rename(tmp, target) == 0)
        retired?.close()
        if !ok {
            let error = failure ?? IOError.errno(path, "cannot replace")
            unlink(tmp)
            Temporaries.shared.remove(tmp)
            throw error
        }
        Temporaries.shared.remove(tmp)
        if durable { syncDirectory(dir) }
        return exchanged ? .exchanged : .renamed
    }

    /// Files this large get their blocks before they are written (`fallocate`): ext4 otherwise
    /// reserves each block as a write reaches it (delayed allocation), a quarter of the time an
    /// 11 MB stream takes to write on the reference machine. Best effort: a file system that
    /// cannot preallocate writes the file as before.
    public static let preallocateFrom = 1 << 20

    static func preallocate(_ fd: Int32, _ count: Int) {
        guard count >= preallocateFrom, let fallocate else { return }
        _ = fallocate(fd, 0, 0, off_t(count))
    }

    /// glibc's fallocate (Linux's call itself: never posix_fallocate's emulation, which writes
    /// zeros where the file system cannot), which Swift's Glibc module does not declare.
    private typealias Fallocate = @convention(c) (Int32, Int32, off_t, off_t) -> Int32
    private static let fallocate: Fallocate? = dlsym(nil, "fallocate").map { unsafeBitCast($0, to: Fallocate.self) }

    /// Puts the new file `tmp` in place of the regular file `target` by exchanging the two names
    /// (renameat2 RENAME_EXCHANGE), then removes the old file, now at `tmp`; false, with nothing
    /// done, where there is no regular file to exchange with or the file system cannot. A reader
    /// sees the old file or the new one, as with a rename. Only for writes that are not synced:
    /// ext4 (auto_da_alloc) makes a rename over an existing file allocate and start writing the
    /// new file's blocks on the spot, 0.15 ms for a small file and 8 ms for 11 MB on the
    /// reference machine, which a synced write has paid already and an unsynced one need not.
    static func swapIn(_ tmp: String, _ target: String) -> Bool {
        guard exchangeWithFile(tmp, target) else { return false }
        unlink(tmp)
        return true
    }

    /// Exchanges the names of `tmp` and the regular file `target` (`exchange`); false, with
    /// nothing done, where there is no regular file at `target` or the file system cannot.
    static func exchangeWithFile(_ tmp: String, _ target: String) -> Bool {
        kind(target) == S_IFREG && exchange(tmp, target)
    }

    /// New files (a CA's key and certificate, and the leaves it signs), each synced in a temporary
    /// file, then renamed into place in the order given, then each directory synced once: one
    /// fsync fewer per file than writing them one by one. A journaling file system commits the
    /// renames in order, so a crash leaves a prefix of them (never a certificate without its key).
    /// The temporaries are synced together (`SyncBatch`). On failure the temporaries are removed
    /// and what was renamed stays.
    public static func writeInOrder(_ files: [(text: String, path: String, mode: mode_t)]) throws {
        var staged: [(tmp: String, path: String)] = []
        defer { for s in staged { unlink(s.tmp); Temporaries.shared.remove(s.tmp) } }
        let batch = SyncBatch(limit: files.count)
        for file in files {
            sweepTemporaries(for: file.path)
            let (tmp, fd) = try createTemporary(for: file.path, shownAs: file.path)
            staged.append((tmp, file.path))
            var text = file.text
            try batch.add(fd, file.path, mode: file.mode) { text.withUTF8 { writeAll(fd, UnsafeRawBufferPointer($0)) } }
        }
        try batch.sync()
        while let next = staged.first {
            guard rename(next.tmp, next.path) == 0 else { throw IOError.errno(next.path, "cannot replace") }
            Temporaries.shared.remove(next.tmp)
            staged.removeFirst()
        }
        for dir in Set(files.map { directory(of: $0.path) }).sorted() { syncDirectory(dir) }
    }

    /// The temporary file's name: `.NAME.extc-tmp-` and 16 random hex digits.
    static func temporaryPrefix(for target: String) -> String { ".\(baseName(of: target)).extc-tmp-" }

    /// A new temporary file beside `target`, open for writing (`readable`: for reading too, as a
    /// write lease needs), mode 0600, recorded in `Temporaries`.
    static func createTemporary(for target: String, shownAs path: String, readable: Bool = false) throws -> (String, Int32) {
        for _ in 0..<8 {
            var generator = SystemRandomNumberGenerator()  // the kernel's getrandom
            let hex = String(generator.next() as UInt64, radix: 16)
            let suffix = String(repeating: "0", count: 16 - hex.count) + hex
            let tmp = "\(directory(of: target))/\(temporaryPrefix(for: target))\(suffix)"
            Temporaries.shared.add(tmp)
            let fd = open(tmp, (readable ? O_RDWR : O_WRONLY) | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            if fd >= 0 { return (tmp, fd) }
            Temporaries.shared.remove(tmp)
            if Glibc.errno != EEXIST { throw IOError.errno(path, "cannot write") }
        }
        throw IOError(path, "cannot create a temporary file")
    }

    /// Directories already swept by this process, with the names found there then: a later
    /// write only looks at those (a killed writer's leftovers predate this process).
    private static let swept = Mutex<[String: [String]]>([:])

    /// Removes temporary files a killed writer left beside `target`, and the staging directories
    /// a killed build published a layout through or a killed watch wrote its stream through
    /// (`RecycledFile`): older than a minute, so a concurrent writer's live one is left alone (and
    /// a directory a live writer holds locked, however old). Each directory is listed once per
    /// process.
    public static func sweepTemporaries(for target: String) {
        let dir = directory(of: target), prefixes = [temporaryPrefix(for: target), stagingPrefix(for: target)]
        let names = swept.withLock { seen in
            if let known = seen[dir] { return known }
            let found = list(dir).filter(isTemporaryName)
            seen[dir] = found
            return found
        }
        let now = time(nil)
        for name in names where prefixes.contains(where: name.hasPrefix) {
            var st = stat()
            guard lstat("\(dir)/\(name)", &st) == 0, now - st.st_mtim.tv_sec > 60 else { continue }
            switch st.st_mode & S_IFMT {
            case S_IFREG: unlink("\(dir)/\(name)")
            case S_IFDIR: removeUnlessLocked("\(dir)/\(name)")
            default: break
            }
        }
    }

    /// Creates the directory and its parents; an existing one keeps its mode unless `mode` is forced.
    public static func makeDirectory(_ path: String, mode: mode_t = 0o755, force: Bool = false) throws {
        if isDirectory(path) {
            // Only when it differs: a chmod is an event to whoever watches the directory.
            if force, FileIO.mode(of: path) != mode, chmod(path, mode) != 0 { throw IOError.errno(path, "cannot set mode") }
            return
        }
        let parent = directory(of: path)
        if parent != path, !parent.isEmpty, !isDirectory(parent) { try makeDirectory(parent) }
        guard mkdir(path, mode) == 0 || Glibc.errno == EEXIST else { throw IOError.errno(path, "cannot create directory") }
        if chmod(path, mode) != 0 { throw IOError.errno(path, "cannot set mode") }
    }

    public static func list(_ dir: String) -> [String] { entries(dir).map(\.name) }

    /// A directory's entries, sorted by name, each with whether it is a directory (after
    /// symlinks). The type comes from the directory itself where the file system records it,
    /// so most entries cost no stat.
    public static func entries(_ dir: String) -> [(name: String, isDirectory: Bool)] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var out: [(name: String, isDirectory: Bool)] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name != ".", name != ".." else { continue }
            let type = e.pointee.d_type
            let known = type == UInt8(DT_REG) || type == UInt8(DT_DIR)
            out.append((name, known ? type == UInt8(DT_DIR) : isDirectory("\(dir)/\(name)")))
        }
        return out.sorted { $0.name < $1.name }
    }

    public static func remove(_ path: String) throws {
        guard unlink(path) == 0 || Glibc.errno == ENOENT else { throw IOError.errno(path, "cannot remove") }
    }

    public static func mode(of path: String) -> mode_t? {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mode & 0o7777 : nil
    }

    /// `path`, or the nearest directory above it, for which `found` holds; nil when nothing up
    /// to the root does.
    public static func nearest(_ path: String, where found: (String) -> Bool) -> String? {
        var at = path
        while !found(at) {
            let parent = directory(of: at)
            if parent == at { return nil }
            at = parent
        }
        return at
    }

    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    public static func baseName(of path: String) -> String {
        path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
    }

    /// `path` relative to `dir` unless it is absolute.
    public static func resolve(_ path: String, relativeTo dir: String) -> String {
        path.hasPrefix("/") ? path : (dir == "." ? path : "\(dir)/\(path)")
    }
}

/// Temporary files being written, and staging directories being filled, removed by `removeAll`
/// when a signal ends the process (see the driver's signal handling). Only paths are kept, in the
/// order they were made; a lock guards them.
public final class Temporaries: @unchecked Sendable {
    public static let shared = Temporaries()
    private var lock = pthread_mutex_t()
    /// Each path with whether it is a directory (removed with rmdir, after what is in it).
    private var paths: [(path: String, directory: Bool)] = []

    private init() { pthread_mutex_init(&lock, nil) }

    func add(_ path: String) { track(path, directory: false) }

    /// Records a path made in a staging directory (or the directory itself), to be removed if a
    /// signal ends the process before `untrack(under:)`.
    public func track(_ path: String, directory: Bool) {
        pthread_mutex_lock(&lock)
        paths.append((path, directory))
        pthread_mutex_unlock(&lock)
    }

    func remove(_ path: String) {
        pthread_mutex_lock(&lock)
        paths.removeAll { $0.path == path }
        pthread_mutex_unlock(&lock)
    }

    /// Forgets `root` and every path under it.
    public func untrack(under root: String) {
        pthread_mutex_lock(&lock)
        paths.removeAll { $0.path == root || $0.path.hasPrefix(root + "/") }
        pthread_mutex_unlock(&lock)
    }

    /// From a signal handler: unlinks and rmdirs what it can, newest first, without waiting for
    /// the lock (what it cannot reach now is swept by the next build). unlink(2) and rmdir(2) are
    /// async-signal-safe.
    public func removeAllFromSignal() {
        guard pthread_mutex_trylock(&lock) == 0 else { return }
        for p in paths.reversed() { p.path.withCString { _ = p.directory ? rmdir($0) : unlink($0) } }
        pthread_mutex_unlock(&lock)
    }

    /// Removes every temporary file and staging path still recorded.
    public func removeAll() {
        pthread_mutex_lock(&lock)
        for p in paths.reversed() { _ = p.directory ? rmdir(p.path) : unlink(p.path) }
        paths = []
        pthread_mutex_unlock(&lock)
    }
}
