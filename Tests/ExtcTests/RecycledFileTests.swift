import ExtcSyntax
import Foundation
import Testing

/// A watch's stream is replaced atomically on every save, but written over the file it replaced
/// (`RecycledFile`): after every write the file holds exactly the pieces given, whatever the
/// edits; files are in fact reused (else this is only `FileIO.write`); and no reader, hard link
/// or in-place edit of an earlier version ever sees or leaves a mixture.
@Suite(.serialized)
struct RecycledFileTests {
    static func inode(_ path: String) -> UInt64 {
        var st = stat()
        return lstat(path, &st) == 0 ? UInt64(st.st_ino) : 0
    }

    static func mode(_ path: String) -> mode_t {
        var st = stat()
        return lstat(path, &st) == 0 ? st.st_mode & 0o7777 : 0
    }

    static func bytes(_ path: String) -> [UInt8] { (try? FileIO.read(path)) ?? [] }

    static func expectHolds(_ path: String, _ pieces: [String], _ context: String) {
        #expect(FileIOTests.difference(bytes(path), Array(pieces.joined().utf8)) == nil, "\(context)")
    }

    /// The names in `dir` other than `keep`, one level down into directories.
    static func others(in dir: String, keep: String) -> [String] {
        FileIO.list(dir).filter { $0 != keep }.flatMap { name in
            FileIO.isDirectory("\(dir)/\(name)") ? FileIO.list("\(dir)/\(name)").map { "\(name)/\($0)" } : [name]
        }
    }

    /// One random edit: a piece changed in place (same length), changed in length, inserted,
    /// removed, or nothing.
    static func edit(_ pieces: [String], _ rng: inout FuzzTests.RNG) -> [String] {
        var out = pieces
        let at = Int.random(in: 0..<max(out.count, 1), using: &rng)
        func text(_ n: Int) -> String { String((0..<n).map { _ in Character(UnicodeScalar(UInt8.random(in: 0x61...0x7A, using: &rng))) }) }
        switch Int.random(in: 0..<6, using: &rng) {
        case 0 where !out.isEmpty, 1 where !out.isEmpty: out[at] = text(out[at].utf8.count)
        case 2 where !out.isEmpty: out[at] = text(Int.random(in: 0...3000, using: &rng))
        case 3: out.insert(text(Int.random(in: 0...3000, using: &rng)), at: min(at, out.count))
        case 4 where !out.isEmpty: out.remove(at: at)
        default: break
        }
        return out
    }

    @Test("every write leaves exactly the pieces given, with the mode given, whatever the edits; files are reused; discard leaves nothing")
    func randomEdits() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let path = "\(dir)/out.yaml"
        var rng = FuzzTests.RNG(x: 0x2EC7_C1ED)
        let file = RecycledFile(path)
        var pieces = (0..<60).map { i in String(repeating: "document \(i)\n", count: 1 + i % 7) }
        var mode: mode_t = 0o644, inodes: [UInt64] = [], reused = 0, writes = 0
        for step in 0..<400 {
            let next = Self.edit(pieces, &rng)
            let nextMode: mode_t = step % 97 == 96 ? (mode == 0o644 ? 0o600 : 0o644) : mode
            // As a watch says it: the places that differ when the count stayed; sometimes nothing.
            let places = next.count == pieces.count ? next.indices.filter { next[$0] != pieces[$0] } : nil
            let revision = step % 13 == 12 ? nil : RecycledFile.Revision(version: step, base: places == nil ? nil : step - 1, places: places ?? [])
            let changed = try file.write(next, mode: nextMode, revision: revision)
            #expect(changed == (next != pieces || nextMode != mode || step == 0), "step \(step)")
            (pieces, mode) = (next, nextMode)
            Self.expectHolds(path, pieces, "step \(step)")
            #expect(Self.mode(path) == mode, "step \(step)")
            guard changed else { continue }
            writes += 1
            if inodes.contains(Self.inode(path)) { reused += 1 }
            inodes.append(Self.inode(path))
            // Beside the output: only the writer's own directory, ignored by git whole.
            let work = FileIO.list(dir).filter { $0 != "out.yaml" }
            #expect(work.count <= 1 && work.allSatisfy { $0.hasPrefix(".out.yaml.extc-new-") }, "step \(step): \(work)")
            if let w = work.first { #expect(Paths.read("\(dir)/\(w)/.gitignore") == "*\n" && Self.mode("\(dir)/\(w)") == 0o700) }
        }
        // All but the first two writes (a new file, then one more whose replaced file becomes the spare).
        #expect(reused >= writes - 2 && writes > 250, "\(reused) of \(writes) writes reused a file")
        file.discard()
        #expect(FileIO.list(dir) == ["out.yaml"])
        Self.expectHolds(path, pieces, "after discard")
    }

    @Test("a revision is what is trusted: only the places it names are written over")
    func revisionTrusted() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let path = "\(dir)/out.yaml", file = RecycledFile(path)
        func version(_ v: Int) -> [String] { (0..<30).map { "doc \($0) of version \(v)\n" } }
        func edited(_ base: [String], _ places: [Int], _ v: Int) -> [String] {
            var out = base
            for p in places { out[p] = "doc \(p) of version \(v)\n" }  // the same length: written in place
            return out
        }
        _ = try file.write(version(0), mode: 0o644, revision: .init(version: 0, base: nil, places: []))
        _ = try file.write(version(1), mode: 0o644, revision: .init(version: 1, base: 0, places: Array(0..<30)))
        let v2 = edited(version(1), [3], 2)
        _ = try file.write(v2, mode: 0o644, revision: .init(version: 2, base: 1, places: [3]))
        Self.expectHolds(path, v2, "version 2")
        // Version 3 changes pieces 7 and 12 but says only 7. The spare holds version 1, so pieces 3
        // (from version 2) and 7 are written, and piece 12 keeps version 1's text: a writer that
        // wrote everything would not show it.
        _ = try file.write(edited(v2, [7, 12], 3), mode: 0o644, revision: .init(version: 3, base: 2, places: [7]))
        Self.expectHolds(path, edited(v2, [7], 3), "only the named places written")
        // Unknown lineage (no base): written whole.
        _ = try file.write(version(4), mode: 0o644, revision: .init(version: 4, base: nil, places: []))
        _ = try file.write(version(5), mode: 0o644, revision: .init(version: 5, base: nil, places: []))
        Self.expectHolds(path, version(5), "no base")
        // Nothing changed since the current version: reported unchanged without a look at the file.
        #expect(try !file.write(version(6), mode: 0o644, revision: .init(version: 6, base: 5, places: [])))
        Self.expectHolds(path, version(5), "unchanged")
    }

    /// A writer in a new directory that has written versions 0 and 1 of `count` (so the next
    /// write has a replaced file to write over); each version is 40 documents naming it.
    static func started(_ count: Int) throws -> (dir: String, path: String, file: RecycledFile, versions: [[String]]) {
        let dir = Paths.temporaryDirectory()
        let path = "\(dir)/out.yaml", file = RecycledFile(path)
        let versions = (0..<count).map { v in (0..<40).map { "doc \($0) of version \(v)\n" } }
        _ = try file.write(versions[0], mode: 0o644)
        _ = try file.write(versions[1], mode: 0o644)
        return (dir, path, file, versions)
    }

    @Test("a reader holding an earlier version keeps it: that file is never written over")
    func readerKeepsItsVersion() throws {
        let (dir, path, file, versions) = try Self.started(6)
        defer { Paths.cleanUp(dir) }
        let reader = open(path, O_RDONLY)
        #expect(reader >= 0)
        defer { close(reader) }
        for v in versions[2...] {
            _ = try file.write(v, mode: 0o644)
            Self.expectHolds(path, v, "the output")
        }
        var held = [UInt8](repeating: 0, count: 1 << 16)
        let n = pread(reader, &held, held.count, 0)
        #expect(FileIOTests.difference(Array(held[0..<max(n, 0)]), Array(versions[1].joined().utf8)) == nil, "the reader's version changed under it")
        // Once the reader is gone, files are reused again.
        close(reader)
        _ = try file.write(versions[0], mode: 0o644)
        let kept = Self.inode(path)
        _ = try file.write(versions[1], mode: 0o644)
        _ = try file.write(versions[2], mode: 0o644)
        #expect(Self.inode(path) == kept)
        Self.expectHolds(path, versions[2], "after reuse")
    }

    @Test("a hard link to an earlier version keeps it")
    func linkKeepsItsVersion() throws {
        let (dir, path, file, versions) = try Self.started(4)
        defer { Paths.cleanUp(dir) }
        #expect(link(path, "\(dir)/snapshot.yaml") == 0)
        for v in versions[2...] { _ = try file.write(v, mode: 0o644) }
        Self.expectHolds("\(dir)/snapshot.yaml", versions[1], "the link")
        Self.expectHolds(path, versions[3], "the output")
    }

    @Test("an edit by another hand, in place, is never kept: the file it was made in is written whole; even with its times set back (the change time)",
          arguments: [false, true])
    func foreignEditUndone(timesSetBack: Bool) throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let path = "\(dir)/out.yaml", file = RecycledFile(path)
        func version(_ v: Int) -> [String] { (0..<40).map { "doc \($0)\n" } + ["last \(v)\n"] }
        _ = try file.write(version(0), mode: 0o644, revision: .init(version: 0, base: nil, places: []))
        _ = try file.write(version(1), mode: 0o644, revision: .init(version: 1, base: 0, places: [40]))
        // Another hand changes the first document in place, same length, and sets the file's
        // times: to a moment of its own, or (as `rsync --inplace -t` would) back as they were.
        var st = stat()
        #expect(stat(path, &st) == 0)
        let fd = open(path, O_WRONLY)
        #expect(pwrite(fd, "DOC", 3, 0) == 3)
        let moment = timespec(tv_sec: 1_000_000_000, tv_nsec: 0)
        var times = timesSetBack ? [st.st_atim, st.st_mtim] : [moment, moment]
        #expect(futimens(fd, &times) == 0)
        close(fd)
        // The same text again: not trusted to be there, the file is compared and put back.
        #expect(try file.write(version(1), mode: 0o644, revision: .init(version: 2, base: 1, places: [])), "the edit is seen")
        Self.expectHolds(path, version(1), "the same text after an edit")
        // The edited file is the spare now: the revision names only the last piece, but it is written whole.
        _ = try file.write(version(2), mode: 0o644, revision: .init(version: 3, base: 2, places: [40]))
        Self.expectHolds(path, version(2), "written over the edited file")
    }

    @Test("the file found at the path is replaced, never reused: the output is always a file this writer made")
    func foundFileNotReused() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let path = "\(dir)/out.yaml"
        // Another user's file (the test runs as root, as CI does; else the owners are the same).
        Paths.write("someone else's\n", to: path)
        if geteuid() == 0 { #expect(chown(path, 1000, 1000) == 0) }
        let file = RecycledFile(path)
        for v in 0..<4 {
            _ = try file.write(["version \(v)\n"], mode: 0o600, revision: .init(version: v, base: v == 0 ? nil : v - 1, places: [0]))
            var st = stat()
            #expect(stat(path, &st) == 0 && st.st_uid == geteuid(), "version \(v): the output is owned by \(st.st_uid)")
        }
        Self.expectHolds(path, ["version 3\n"], "the output")
    }

    @Test("a live writer's directory, idle past a minute, is not swept by a build writing the same file; its .gitignore is put back if it goes")
    func liveDirectoryKept() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let path = "\(dir)/out.yaml", file = RecycledFile(path)
        for v in 0..<3 { _ = try file.write(["version \(v)\n"], mode: 0o644) }
        let work = FileIO.list(dir).filter { $0.hasPrefix(".out.yaml.extc-new-") }
        #expect(work.count == 1)
        guard let name = work.first else { return }
        var old = [timespec(tv_sec: time(nil) - 600, tv_nsec: 0), timespec(tv_sec: time(nil) - 600, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, "\(dir)/\(name)", &old, 0) == 0)
        let r = Run.extc(["build", "\(Paths.samples)/minimal.ext", "--state", "\(dir)/state", "-o", path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileIO.isDirectory("\(dir)/\(name)"), "the live writer's directory was swept")
        #expect(unlink("\(dir)/\(name)/.gitignore") == 0)
        _ = try file.write(["version 3\n"], mode: 0o644)
        _ = try file.write(["version 4\n"], mode: 0o644)
        #expect(Paths.read("\(dir)/\(name)/.gitignore") == "*\n")
        Self.expectHolds(path, ["version 4\n"], "the output")
    }

    @Test("the output's directory reached through a symlink that is retargeted: the writer starts over there and leaves nothing behind")
    func parentRetargeted() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        for d in ["a", "b"] { try FileIO.makeDirectory("\(dir)/\(d)") }
        #expect(symlink("a", "\(dir)/out") == 0)
        let file = RecycledFile("\(dir)/out/s.yaml")
        for v in 0..<3 { _ = try file.write(["secret \(v)\n"], mode: 0o600) }
        #expect(unlink("\(dir)/out") == 0 && symlink("b", "\(dir)/out") == 0)
        for v in 3..<6 { _ = try file.write(["secret \(v)\n"], mode: 0o600) }
        #expect(FileIO.list("\(dir)/a") == ["s.yaml"], "the first directory's spare left behind")
        Self.expectHolds("\(dir)/b/s.yaml", ["secret 5\n"], "the output")
        file.discard()
        #expect(FileIO.list("\(dir)/b") == ["s.yaml"])
    }

    @Test("a symlink is followed and its target replaced; a FIFO is written through")
    func symlinkAndFIFO() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        try FileIO.makeDirectory("\(dir)/real")
        #expect(symlink("real/out.yaml", "\(dir)/out.yaml") == 0)
        let file = RecycledFile("\(dir)/out.yaml")
        for v in 0..<4 { _ = try file.write(["version \(v)\n"], mode: 0o644) }
        #expect(FileIO.kind("\(dir)/out.yaml") == S_IFLNK)
        #expect(Paths.read("\(dir)/real/out.yaml") == "version 3\n")
        file.discard()
        #expect(FileIO.list("\(dir)/real") == ["out.yaml"])
        #expect(mkfifo("\(dir)/fifo", 0o600) == 0)
        let reader = open("\(dir)/fifo", O_RDONLY | O_NONBLOCK)  // a reader first, or the write's open would block
        #expect(reader >= 0)
        defer { close(reader) }
        let fifo = RecycledFile("\(dir)/fifo")
        #expect(try fifo.write(["through\n"], mode: 0o644))
        var got = [UInt8](repeating: 0, count: 64)
        let n = read(reader, &got, got.count)
        #expect(n == 8 && String(decoding: got[0..<8], as: UTF8.self) == "through\n")
        #expect(FileIO.kind("\(dir)/fifo") == S_IFIFO)
    }
}
