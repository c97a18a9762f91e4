import ExtcSyntax
import Foundation
import Testing

/// Text in pieces (a stream's documents) is written and compared a buffer at a time, never
/// joined: the result must be the joined bytes, whatever the split, across every boundary of the
/// 64 KiB read chunks and the 256 KiB write buffer, and when a signal cuts a write short. A
/// replaced file of 1 MiB or more is held open across the rename and closed on another thread:
/// the descriptor must not leak.
@Suite(.serialized)
struct FileIOTests {
    /// Random ASCII text, cut at random places (some pieces empty, some larger than a buffer).
    static func pieces(_ rng: inout FuzzTests.RNG, total: Int, cuts count: Int? = nil) -> [String] {
        let bytes = (0..<total).map { _ in UInt8.random(in: 0x20...0x7E, using: &rng) }
        var cuts = (0..<(count ?? Int.random(in: 0...40, using: &rng))).map { _ in Int.random(in: 0...total, using: &rng) }
        cuts = ([0] + cuts + [total]).sorted()
        return zip(cuts, cuts.dropFirst()).map { String(decoding: bytes[$0..<$1], as: UTF8.self) }
    }

    /// Where two byte strings first differ, or nil: megabytes compared with `==` inside `#expect`
    /// would be diffed element by element on failure, which takes minutes.
    static func difference(_ got: [UInt8], _ want: [UInt8]) -> String? {
        guard got != want else { return nil }
        let at = zip(got, want).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(got.count, want.count)
        return "\(got.count) bytes, \(want.count) expected; first difference at byte \(at)"
    }

    @Test("pieces are written as their joined bytes and compare equal to them; any other file differs")
    func piecesRoundTrip() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        var rng = FuzzTests.RNG(x: 0x5EED_F11E)
        for size in [0, 1, 65_535, 65_536, 65_537, 262_144, 262_145, 700_001, 1_500_000] {
            let pieces = Self.pieces(&rng, total: size), joined = pieces.joined()
            let path = "\(dir)/out-\(size).yaml"
            #expect(try FileIO.write(pieces: pieces, to: path, mode: 0o600, durable: false))
            #expect(Self.difference(try FileIO.read(path), Array(joined.utf8)) == nil)
            // Unchanged: reported so, and not rewritten (same inode).
            let inode = Self.inode(path)
            #expect(try !FileIO.write(pieces: Self.pieces(&rng, total: 0) + pieces, to: path, mode: 0o600))
            #expect(Self.inode(path) == inode)
            #expect(FileIO.holds(pieces: pieces, at: path, mode: 0o600))
            #expect(!FileIO.holds(pieces: pieces, at: path, mode: 0o644), "the mode counts")
            guard size > 0 else { continue }
            // One byte changed anywhere, one byte more or less: not the same file.
            var changed = Array(joined.utf8)
            let at = Int.random(in: 0..<size, using: &rng)
            changed[at] = changed[at] == 0x41 ? 0x42 : 0x41
            try FileIO.write(changed, to: path, mode: 0o600)
            #expect(!FileIO.holds(pieces: pieces, at: path, mode: 0o600), "byte \(at) of \(size) differs")
            try FileIO.write(Array(joined.utf8.dropLast()), to: path, mode: 0o600)
            #expect(!FileIO.holds(pieces: pieces, at: path, mode: 0o600))
            #expect(!FileIO.holds(pieces: pieces + ["x"], at: path, mode: 0o600))
        }
        // The large files replaced above were closed off the writer's path; give that a moment.
        var held = Self.replacedFilesHeld(in: dir)
        for _ in 0..<50 where !held.isEmpty { usleep(20_000); held = Self.replacedFilesHeld(in: dir) }
        #expect(held.isEmpty, "replaced files still open: \(held)")
    }

    /// One place, however it is spelt: through a symlinked directory, with `.`, `..` and doubled
    /// slashes among components that do not exist yet.
    @Test("canonical paths agree across spellings, existing or not")
    func canonicalPaths() throws {
        let dir = FileIO.canonical(Paths.temporaryDirectory())
        defer { Paths.cleanUp(dir) }
        try FileManager.default.createDirectory(atPath: "\(dir)/real/sub", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: "\(dir)/link", withDestinationPath: "\(dir)/real")
        let want = "\(dir)/real/sub/new/file.yaml"
        for spelling in ["\(dir)/real/sub/new/file.yaml", "\(dir)/link/sub/new/file.yaml", "\(dir)/link/./sub/x/../new/file.yaml",
                         "\(dir)/real/sub/new/../new/./file.yaml", "\(dir)//real///sub/new/file.yaml"] {
            #expect(FileIO.canonical(spelling) == want, "\(spelling)")
        }
        #expect(FileIO.canonical("/") == "/" && FileIO.canonical("/..") == "/")
        // Relative spellings (against the working directory, which a test must not change while
        // others run) are `SafetyTests.refusals`, through the binary.
    }

    /// Files of 1 MiB or more get their blocks before they are written, sized from the bytes the
    /// write will make: a size counted any other way (Characters, pieces) would leave the file
    /// longer than its text, padded with zeros, or cut it short. Text with multi-byte characters
    /// and CRLF (one Character, two bytes), at the threshold and either side of it, through each
    /// way of writing.
    @Test("a large file is exactly its bytes, however many characters they make", arguments: [-1, 0, 1, 300_001])
    func preallocatedSize(beyondThreshold extra: Int) throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let unit = Array("é€𝄞\r\nab".utf8)  // 2 + 3 + 4 + 2 + 2 bytes, 5 Characters
        let size = FileIO.preallocateFrom + extra
        let whole = size / unit.count * unit.count  // then ASCII: the text ends on a character boundary
        let bytes = (0..<size).map { $0 < whole ? unit[$0 % unit.count] : UInt8(ascii: "x") }
        // Cut between whole characters, so each piece is the same bytes as text.
        let text = String(decoding: bytes, as: UTF8.self)
        var pieces: [String] = [], rest = Substring(text)
        while !rest.isEmpty {
            let n = min(rest.count, 40_001)
            pieces.append(String(rest.prefix(n)))
            rest = rest.dropFirst(n)
        }
        #expect(pieces.joined() == text && text.utf8.count == size)
        for durable in [false, true] {
            let writes: [(String, (String) throws -> Void)] = [
                ("pieces", { try FileIO.write(pieces: pieces, to: $0, durable: durable) }),
                ("text", { try FileIO.write(text, to: $0, durable: durable) }),
                ("bytes", { try FileIO.write(bytes, to: $0, durable: durable) }),
            ]
            for (how, write) in writes {
                let path = "\(dir)/\(how)-\(durable).yaml"
                try write(path)
                #expect(Self.difference(try FileIO.read(path), bytes) == nil, "\(how), durable \(durable)")
                // Replacing it with less leaves only the new bytes.
                try FileIO.write(Array(bytes.prefix(size / 2)), to: path, durable: durable)
                #expect(Self.difference(try FileIO.read(path), Array(bytes.prefix(size / 2))) == nil)
            }
        }
    }

    /// A regular file is read into one array of its size (plus a byte to see the end); a file
    /// whose size says nothing (procfs reports 0) and a pipe are read a chunk at a time; more
    /// than `limit` bytes is refused either way.
    @Test("reads return every byte of regular files, procfs files and pipes, and refuse more than the limit")
    func reads() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        var rng = FuzzTests.RNG(x: 0x5EED_0EAD)
        for size in [0, 1, 4_095, 65_536, 200_001] {
            let bytes = Array(Self.pieces(&rng, total: size).joined().utf8), path = "\(dir)/f-\(size)"
            try FileIO.write(bytes, to: path, mode: 0o600)
            #expect(Self.difference(try FileIO.read(path), bytes) == nil)
            let fd = open(path, O_RDONLY)
            defer { close(fd) }
            #expect(Self.difference(try FileIO.read(fd: fd, name: path, limit: size), bytes) == nil, "exactly the limit")
            guard size > 0 else { continue }
            lseek(fd, 0, SEEK_SET)
            #expect(throws: IOError.self, "one byte over the limit") { try FileIO.read(fd: fd, name: path, limit: size - 1) }
        }
        let status = try FileIO.read("/proc/self/status")
        #expect(String(decoding: status, as: UTF8.self).hasPrefix("Name:"), "a size of 0 that is not the end")
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        let text = Array(String(repeating: "abc\n", count: 10_000).utf8)
        #expect(FileIO.writeAll(ends[1], text[...]))
        close(ends[1])
        defer { close(ends[0]) }
        #expect(Self.difference(try FileIO.read(fd: ends[0], name: "pipe"), text) == nil)
    }

    /// Hundreds and thousands of pieces, small and empty among them.
    @Test("many pieces are written as their joined bytes", arguments: [255, 256, 257, 511, 3_000])
    func manyPieces(cuts: Int) throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        var rng = FuzzTests.RNG(x: 0x5EED_0000 + UInt64(cuts))
        for total in [cuts / 2, 200_000] {
            let pieces = Self.pieces(&rng, total: total, cuts: cuts - 1), path = "\(dir)/out-\(total).yaml"
            #expect(pieces.count == cuts)
            #expect(try FileIO.write(pieces: pieces, to: path, mode: 0o600, durable: false))
            #expect(Self.difference(try FileIO.read(path), Array(pieces.joined().utf8)) == nil)
        }
    }

    /// A signal that arrives while a write waits on a full pipe ends the call with what it wrote
    /// so far (the handler is installed without SA_RESTART), here once a page. The write resumes
    /// where it stopped, in the middle of a piece or between two: the reader gets exactly the
    /// joined bytes.
    @Test("pieces written into a FIFO arrive whole though signals cut the writes short")
    func shortWrites() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let fifo = "\(dir)/pipe"
        try #require(mkfifo(fifo, 0o600) == 0)
        var rng = FuzzTests.RNG(x: 0x5EED_F1F0)
        let pieces = Self.pieces(&rng, total: 300_000, cuts: 400)
        var action = sigaction(), previous = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGUSR1, &action, &previous)
        defer { sigaction(SIGUSR1, &previous, nil) }
        // Test threads (libdispatch's) block most signals: let this one take SIGUSR1 meanwhile.
        var usr1 = sigset_t(), mask = sigset_t()
        sigemptyset(&usr1)
        sigaddset(&usr1, SIGUSR1)
        pthread_sigmask(SIG_UNBLOCK, &usr1, &mask)
        defer { pthread_sigmask(SIG_SETMASK, &mask, nil) }
        let writer = pthread_self()
        let reader = FIFOReader(fifo) { pthread_kill(writer, SIGUSR1) }
        #expect(try FileIO.write(pieces: pieces, to: fifo, mode: 0o600, durable: false))
        let received = reader.finish()
        #expect(received.signals > 10, "the writer was interrupted \(received.signals) times")
        #expect(Self.difference(received.bytes, Array(pieces.joined().utf8)) == nil)
    }

    /// A write that is not synced replaces an existing regular file by exchanging the names (no
    /// ext4 rename-over flush), then removes the old file: the name holds the new bytes in a new
    /// inode, nothing else is left in the directory, and it says so (`.exchanged`), which is
    /// what a watch counts its own inotify events by. A new name, or a synced write, is renamed.
    @Test("a write not synced exchanges names with the file it replaces, leaves nothing behind, and says how it wrote")
    func exchange() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let path = "\(dir)/out.yaml"
        #expect(try FileIO.writeNotSynced(pieces: ["a: 1\n"], to: path, mode: 0o644) == .renamed, "a new name is renamed onto")
        #expect(try FileIO.writeNotSynced(pieces: ["a: 1\n"], to: path, mode: 0o644) == .unchanged)
        for (i, size) in [5, 70_000, 1_500_000].enumerated() {
            let before = Self.inode(path), text = String(repeating: "\(i)", count: size)
            #expect(try FileIO.writeNotSynced(pieces: [text], to: path, mode: 0o600) == .exchanged)
            #expect(try FileIO.read(path) == Array(text.utf8))
            #expect(Self.inode(path) != before)
            #expect(FileIO.mode(of: path) == 0o600)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.yaml"], "the old file is removed")
        }
        // Synced: a plain rename (the fsync already wrote the blocks that the rename would).
        try FileIO.write("b: 2\n", to: path)
        #expect(try FileIO.read(path) == Array("b: 2\n".utf8))
        // Through a symlink: the file it names is replaced, the link stays.
        try FileManager.default.createSymbolicLink(atPath: "\(dir)/link.yaml", withDestinationPath: "out.yaml")
        #expect(try FileIO.writeNotSynced(pieces: ["c: 3\n"], to: "\(dir)/link.yaml", mode: 0o644) == .exchanged)
        #expect(try FileIO.read(path) == Array("c: 3\n".utf8))
        #expect(FileIO.kind("\(dir)/link.yaml") == S_IFLNK)
        // Never exchanged with a directory: refused, and the directory is where it was.
        try FileManager.default.createDirectory(atPath: "\(dir)/sub.yaml", withIntermediateDirectories: false)
        #expect(throws: IOError.self) { try FileIO.writeNotSynced(pieces: ["d"], to: "\(dir)/sub.yaml", mode: 0o644) }
        #expect(FileIO.isDirectory("\(dir)/sub.yaml"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["link.yaml", "out.yaml", "sub.yaml"])
        var held = Self.replacedFilesHeld(in: dir)
        for _ in 0..<50 where !held.isEmpty { usleep(20_000); held = Self.replacedFilesHeld(in: dir) }
        #expect(held.isEmpty, "replaced files still open: \(held)")
    }

    /// New files synced together: each whole with its mode, never more than the batch's limit
    /// open at once, none left open after the sync, and none after a failure ends the batch.
    @Test("a sync batch writes each file whole, holds at most its limit open, and closes everything")
    func syncBatch() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        var most = 0
        do {
            let batch = SyncBatch(limit: 8)
            for i in 0..<20 {
                try batch.create("\(dir)/f\(i)", Array("file \(i)\n".utf8), mode: i % 2 == 0 ? 0o600 : 0o644)
                most = max(most, Self.held(in: dir))
            }
            try batch.sync()
            #expect(Self.held(in: dir) == 0)
        }
        // Between calls up to 7 wait for their sync: the 8th file's add syncs all 8 (a batch that
        // synced each file would show 0, one without its limit 19).
        #expect(most == 7, "\(most) open at once")
        for i in 0..<20 {
            #expect(Paths.read("\(dir)/f\(i)") == "file \(i)\n")
            #expect(FileIO.mode(of: "\(dir)/f\(i)") == (i % 2 == 0 ? 0o600 : 0o644))
        }
        // A file that exists is never written over (O_EXCL); the error names it, and the batch
        // that failed leaves nothing open.
        do {
            let batch = SyncBatch()
            try batch.create("\(dir)/new", [1], mode: 0o644)
            #expect(throws: IOError.self) { try batch.create("\(dir)/f3", [2], mode: 0o644) }
        }
        #expect(Self.held(in: dir) == 0)
        #expect(Paths.read("\(dir)/f3") == "file 3\n")
    }

    /// How many of this process's descriptors are on files in `dir`.
    static func held(in dir: String) -> Int { openFiles().filter { $0.hasPrefix(dir + "/") }.count }

    /// This process's descriptors on files in `dir` that have been replaced (unlinked).
    static func replacedFilesHeld(in dir: String) -> [String] {
        openFiles().filter { $0.hasPrefix(dir) && $0.hasSuffix(" (deleted)") }
    }

    /// What each of this process's descriptors is open on (`/proc/self/fd`).
    static func openFiles() -> [String] {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)") }
    }

    static func inode(_ path: String) -> UInt64 {
        var st = stat()
        return stat(path, &st) == 0 ? UInt64(st.st_ino) : 0
    }
}

/// Reads a FIFO to its end on a thread of its own, a page at a time from a pipe shrunk to one
/// page, so the writer keeps finding it full (no sleeps: the pace is the reader's own); after
/// each page it calls `poke` (which signals the writer). Each page is a round trip between the
/// two threads, so the text is about 75 pages.
private final class FIFOReader: @unchecked Sendable {
    private var bytes: [UInt8] = [], signals = 0
    private let done = DispatchSemaphore(value: 0)

    init(_ path: String, poke: @escaping @Sendable () -> Void) {
        Thread.detachNewThread { [self] in
            let fd = open(path, O_RDONLY)
            _ = fcntl(fd, 1031, 4096)  // F_SETPIPE_SZ (Linux): one page
            var chunk = [UInt8](repeating: 0, count: 4096)
            while fd >= 0 {
                let n = read(fd, &chunk, chunk.count)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { break }
                bytes += chunk[0..<n]
                poke()
                signals += 1
            }
            if fd >= 0 { close(fd) }
            done.signal()
        }
    }

    /// What was read, once the writer has closed the FIFO.
    func finish() -> (bytes: [UInt8], signals: Int) {
        done.wait()
        return (bytes, signals)
    }
}
