#if canImport(Glibc)
import Glibc
#endif

/// Watches one directory for files renamed into it: how an atomic writer (temp file, then
/// rename) publishes a file, and so the moment a reader of that directory can see it.
final class RenameWatch {
    private let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    init(directory: String) throws {
        fd = inotify_init1(Int32(IN_CLOEXEC))
        guard fd >= 0 else { throw BenchError("inotify_init1: \(String(cString: strerror(errno)))") }
        guard inotify_add_watch(fd, directory, UInt32(IN_MOVED_TO)) >= 0 else {
            close(fd)
            throw BenchError("inotify_add_watch \(directory): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(fd) }

    /// Blocks until `name` is renamed into the directory; returns the monotonic time the event was
    /// read, or nil after `timeout` seconds. Events for other names are skipped.
    func waitForRename(of name: String, timeout: Double) throws -> UInt64? {
        try wait(timeout: timeout) { $0.contains(name) }
    }

    /// Blocks until `count` different visible names (not a temporary's dot name) have been renamed
    /// into the directory: the moment the last file of a save is published.
    func waitForRenames(_ count: Int, timeout: Double) throws -> UInt64? {
        var seen = Set<String>()
        return try wait(timeout: timeout) { names in
            seen.formUnion(names.filter { !$0.hasPrefix(".") })
            return seen.count >= count
        }
    }

    /// Reads events until `done` says the names read so far are enough.
    private func wait(timeout: Double, until done: ([String]) -> Bool) throws -> UInt64? {
        let deadline = now() + UInt64(timeout * 1e9)
        while true {
            let current = now()
            guard current < deadline else { return nil }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32((deadline - current) / 1_000_000) + 1)
            if ready < 0 && errno == EINTR { continue }
            guard ready >= 0 else { throw BenchError("poll: \(String(cString: strerror(errno)))") }
            guard ready > 0 else { continue }
            let n = read(fd, &buffer, buffer.count)
            let seen = now()
            guard n > 0 else { throw BenchError("inotify read: \(String(cString: strerror(errno)))") }
            if done(names(in: n)) { return seen }
        }
    }

    /// The names in the first `count` bytes of the buffer: a run of `struct inotify_event`
    /// (wd, mask, cookie, len: four 32-bit fields), each followed by `len` NUL-padded name bytes.
    private func names(in count: Int) -> [String] {
        var names: [String] = []
        var offset = 0
        buffer.withUnsafeBytes { raw in
            while offset + 16 <= count {
                let len = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                let bytes = raw[(offset + 16)..<(offset + 16 + len)].prefix { $0 != 0 }
                names.append(String(decoding: bytes, as: UTF8.self))
                offset += 16 + len
            }
        }
        return names
    }
}
