import Dispatch
#if canImport(Glibc)
import Glibc
#endif

// Comparing a file with what would be written to it, and writing text in pieces. Both go a
// small buffer at a time, so a large output (a stream of thousands of documents) is neither
// read whole nor joined into one string.
extension FileIO {
    /// Whether a regular file at `path` holds exactly `bytes` with `mode`; never opens anything
    /// else (a FIFO would block, a device would be consumed).
    public static func holds(_ bytes: [UInt8], at path: String, mode: mode_t) -> Bool {
        bytes.withUnsafeBytes { holds($0, at: path, mode: mode) }
    }

    static func holds(_ bytes: UnsafeRawBufferPointer, at path: String, mode: mode_t) -> Bool {
        guard let matcher = FileMatcher(path, mode: mode, count: bytes.count) else { return false }
        return matcher.match(bytes) && matcher.atEnd()
    }

    /// As `holds(_:at:mode:)`, for text in pieces end to end.
    public static func holds(pieces: [String], at path: String, mode: mode_t) -> Bool {
        guard let matcher = FileMatcher(path, mode: mode, count: pieces.reduce(0) { $0 + $1.utf8.count }) else { return false }
        return forEachUTF8(pieces, matcher.match) && matcher.atEnd()
    }

    /// Calls `body` with each piece's UTF-8 bytes, in order, while it returns true; whether all did.
    private static func forEachUTF8(_ pieces: some Sequence<String>, _ body: (UnsafeRawBufferPointer) -> Bool) -> Bool {
        for piece in pieces {
            var piece = piece
            guard piece.withUTF8({ body(UnsafeRawBufferPointer($0)) }) else { return false }
        }
        return true
    }

    /// Writes the pieces end to end through one buffer (a write per 256 KiB, not per piece);
    /// false on any error (errno tells which).
    static func writeAll(_ fd: Int32, pieces: some Sequence<String>) -> Bool {
        let size = 1 << 18
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        var used = 0
        func flush() -> Bool {
            defer { used = 0 }
            return writeAll(fd, UnsafeRawBufferPointer(rebasing: buffer[0..<used]))
        }
        let copied = forEachUTF8(pieces) { bytes in
            var rest = bytes
            while !rest.isEmpty {
                if used == size, !flush() { return false }
                let n = min(rest.count, size - used)
                (buffer.baseAddress! + used).copyMemory(from: rest.baseAddress!, byteCount: n)
                used += n
                rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            }
            return true
        }
        return copied && (used == 0 || flush())
    }
}

/// A regular file read a chunk at a time and compared with buffers given in order. Made only
/// when the file is regular, has the mode and the size expected; closes the file when done.
private final class FileMatcher {
    private let fd: Int32
    private var chunk = [UInt8](repeating: 0, count: 1 << 16)
    private var filled = 0, position = 0

    init?(_ path: String, mode: mode_t, count: Int) {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_mode & 0o777 == mode, Int(st.st_size) == count else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Whether the file's next bytes are `bytes`.
    func match(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var rest = bytes
        while !rest.isEmpty {
            if position == filled, !refill() { return false }
            let n = min(rest.count, filled - position)
            guard chunk.withUnsafeBytes({ memcmp($0.baseAddress! + position, rest.baseAddress!, n) }) == 0 else { return false }
            position += n
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
        }
        return true
    }

    /// Whether the file ends here (it may have grown since it was measured).
    func atEnd() -> Bool { position == filled && !refill() && filled == 0 }

    /// Reads the next chunk; false at the end or on an error (`filled` is then 0 at the end).
    private func refill() -> Bool {
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0, Glibc.errno == EINTR { continue }
            (filled, position) = (max(n, 0), 0)
            return n > 0
        }
    }
}

/// A large file about to be replaced, held open across the rename: the rename then only drops a
/// name, and the file's blocks are freed when this last reference closes, on another thread,
/// off the writer's path (freeing a stream of many megabytes takes milliseconds).
struct Retired: ~Copyable {
    /// Files smaller than this are freed in passing.
    static let threshold = 1 << 20
    private let fd: Int32

    /// nil when there is no regular file of at least `threshold` bytes to hold.
    static func open(_ path: String) -> Retired? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, Int(st.st_size) >= threshold else { return nil }
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        return fd >= 0 ? Retired(fd: fd) : nil
    }

    private init(fd: Int32) { self.fd = fd }

    consuming func close() {
        let fd = self.fd
        discard self
        DispatchQueue.global(qos: .utility).async { _ = Glibc.close(fd) }
    }

    deinit { _ = Glibc.close(fd) }
}
