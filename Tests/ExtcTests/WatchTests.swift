import ExtcSyntax
import Foundation
import Testing

/// A running `extc watch` whose status lines are counted as they arrive.
final class WatchSession {
    let dir: String
    let spec: String
    let out: String
    /// Writing `-o out.yaml` in `dir` (else `--out-dir out`).
    let stream: Bool
    let process = Process()
    /// The watcher's stderr, sent to a file (no pipe to drain).
    let log: String

    /// `stream`: `-o DIR/out.yaml` instead of `--out-dir DIR/out`.
    init(spec text: String, extraArgs: [String] = [], specArgument: String? = nil, stream: Bool = false) throws {
        dir = Paths.temporaryDirectory("extc-watch")
        spec = "\(dir)/spec.ext"
        out = "\(dir)/out"
        self.stream = stream
        Paths.write(text, to: spec)
        process.executableURL = URL(fileURLWithPath: Paths.extc)
        // `$DIR` in specArgument stands for the session's directory.
        let home = dir
        let argument = specArgument.map { $0.replacingOccurrences(of: "$DIR", with: home) } ?? spec
        let output = stream ? ["-o", "\(dir)/out.yaml"] : ["--out-dir", out]
        process.arguments = ["watch", argument] + output + ["--state", "\(dir)/state", "--settle", "40"] + extraArgs
        log = "\(dir)/watch.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: log)
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var stderrText: String { Paths.read(log) }

    deinit {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
        Paths.cleanUp(dir)
    }

    var statusLines: [String] { stderrText.split(separator: "\n").map(String.init).filter { $0.hasPrefix("[") } }
    var rebuilds: Int { statusLines.count }

    /// Waits until there are at least `n` status lines, then a further quiet spell, so that an
    /// extra (unwanted) rebuild would be seen too.
    @discardableResult
    func waitForRebuilds(_ n: Int, timeout: Double = 15) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while rebuilds < n, Date() < deadline { usleep(5_000) }
        usleep(300_000)
        return rebuilds >= n
    }

    func file(_ name: String) -> String { Paths.read("\(out)/\(name)") }

    var deployment: String { file("12-deployment.hello.hello.yaml") }

    /// An editor's atomic save: write a temporary file, then rename it over the spec.
    func atomicSave(_ text: String) {
        let tmp = "\(dir)/.spec.ext.swp"
        Paths.write(text, to: tmp)
        rename(tmp, spec)
    }

    func plainWrite(_ text: String) {
        let fd = open(spec, O_WRONLY | O_TRUNC)
        _ = text.withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }

    /// Temporary files, and a stream's directory of earlier versions, in the output's directory.
    func leftovers() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: stream ? dir : out)) ?? []).filter { FileIO.isTemporaryName($0) }
    }
}

@Suite(.serialized)
struct WatchTests {
    static let minimal = Paths.read("\(Paths.samples)/minimal.ext")
    static func replicas(_ n: Int) -> String { minimal.replacingOccurrences(of: "  resource", with: "  replicas  \(n)\n  resource") }

    @Test("a write, an atomic save and a delete/re-create each give exactly one rebuild with the new content")
    func saves() throws {
        let w = try WatchSession(spec: Self.minimal)
        #expect(w.waitForRebuilds(1))
        #expect(w.deployment.contains("replicas: 2"))
        let cert = Paths.read("\(w.dir)/state/hello/tls.crt")
        w.plainWrite(Self.replicas(3))
        #expect(w.waitForRebuilds(2) && w.rebuilds == 2)
        #expect(w.deployment.contains("replicas: 3"))
        w.atomicSave(Self.replicas(4))
        #expect(w.waitForRebuilds(3) && w.rebuilds == 3)
        #expect(w.deployment.contains("replicas: 4"))
        unlink(w.spec)
        Paths.write(Self.replicas(5), to: w.spec)
        #expect(w.waitForRebuilds(4) && w.rebuilds == 4, "\(w.statusLines)")
        #expect(w.deployment.contains("replicas: 5"))
        #expect(Paths.read("\(w.dir)/state/hello/tls.crt") == cert, "edits that do not touch certs never re-issue them")
        #expect(w.statusLines.last?.contains("built in") == true)
    }

    @Test("an error keeps the previous output byte for byte; fixing it restores output")
    func errorsKeepOutput() throws {
        let w = try WatchSession(spec: Self.minimal)
        #expect(w.waitForRebuilds(1))
        let before = try FileManager.default.contentsOfDirectory(atPath: w.out).sorted().map { ($0, w.file($0)) }
        w.atomicSave(Self.minimal.replacingOccurrences(of: "group     hello.example.com", with: "grup hello.example.com"))
        #expect(w.waitForRebuilds(2))
        #expect(w.statusLines.last?.contains("failed") == true && w.statusLines.last?.contains("previous output kept") == true)
        #expect(w.stderrText.contains("error[E0101]: unknown field `grup`"))
        let after = try FileManager.default.contentsOfDirectory(atPath: w.out).sorted().map { ($0, w.file($0)) }
        #expect(after.map(\.0) == before.map(\.0) && after.map(\.1) == before.map(\.1))
        w.atomicSave(Self.replicas(6))
        #expect(w.waitForRebuilds(3))
        #expect(w.deployment.contains("replicas: 6"))
    }

    @Test("a burst of 50 writes gives one or two rebuilds, not 50")
    func burst() throws {
        let w = try WatchSession(spec: Self.minimal)
        #expect(w.waitForRebuilds(1))
        for i in 0..<50 { w.plainWrite(Self.replicas(10 + i)) }
        #expect(w.waitForRebuilds(2))
        usleep(300_000)
        #expect((2...3).contains(w.rebuilds), "\(w.rebuilds - 1) rebuilds for one burst")
        #expect(w.deployment.contains("replicas: 59"))
    }

    @Test("SIGTERM and SIGHUP end it cleanly: exit 0, no temporary files (a stream's earlier versions removed too)",
          arguments: [SIGTERM, SIGHUP], [false, true])
    func sigterm(_ sig: Int32, stream: Bool) throws {
        let w = try WatchSession(spec: Self.minimal, stream: stream)
        #expect(w.waitForRebuilds(1))
        if stream {
            // Two saves: the second keeps the file it replaces, for the next.
            for (n, replicas) in [(2, 5), (3, 6)] {
                w.atomicSave(Self.replicas(replicas))
                #expect(w.waitForRebuilds(n))
            }
            #expect(w.leftovers().count == 1, "a stream's directory while the watch runs: \(w.leftovers())")
        }
        w.atomicSave(Self.replicas(7))
        usleep(20_000)
        kill(w.process.processIdentifier, sig)
        w.process.waitUntilExit()
        #expect(w.process.terminationReason == .exit && w.process.terminationStatus == 0)
        #expect(w.leftovers().isEmpty)
    }

    @Test("the spec directory deleted and re-created, or emptied by a truncated save, never stops or empties watch")
    func directoryReplaced() throws {
        let w = try WatchSession(spec: Self.minimal, specArgument: "$DIR/SPECS/spec.ext")
        let specs = "\(w.dir)/SPECS", spec = "\(specs)/spec.ext"
        _ = w.waitForRebuilds(1)  // fails: no such directory yet
        try FileManager.default.createDirectory(atPath: specs, withIntermediateDirectories: true)
        Paths.write(Self.replicas(3), to: spec)
        let deadline = Date().addingTimeInterval(10)
        while !w.deployment.contains("replicas: 3"), Date() < deadline { usleep(20_000) }
        #expect(w.deployment.contains("replicas: 3"), "\(w.stderrText)")
        for n in [4, 5] {
            try FileManager.default.removeItem(atPath: specs)
            usleep(100_000)
            try FileManager.default.createDirectory(atPath: specs, withIntermediateDirectories: true)
            Paths.write(Self.replicas(n), to: spec)
            let until = Date().addingTimeInterval(10)
            while !w.deployment.contains("replicas: \(n)"), Date() < until { usleep(20_000) }
            #expect(w.deployment.contains("replicas: \(n)"), "after replacing the directory (\(n)): \(w.stderrText)")
        }
        let before = w.deployment
        Paths.write("", to: spec)
        usleep(400_000)
        #expect(w.deployment == before, "an empty spec keeps the previous output")
        #expect(w.stderrText.contains("previous output was kept"))
    }

    @Test("a quoted glob picks up a spec added later")
    func glob() throws {
        let dir = Paths.temporaryDirectory("extc-glob")
        defer { Paths.cleanUp(dir) }
        Paths.write(Self.minimal, to: "\(dir)/a.ext")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Paths.extc)
        p.arguments = ["watch", "\(dir)/*.ext", "--out-dir", "\(dir)/out", "--state", "\(dir)/state", "--settle", "40"]
        let logPath = "\(dir)/watch.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        p.standardError = FileHandle(forWritingAtPath: logPath)
        p.standardOutput = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { p.terminate(); p.waitUntilExit() } }
        func lines() -> Int { Paths.read(logPath).split(separator: "\n").filter { $0.hasPrefix("[") }.count }
        let deadline = Date().addingTimeInterval(15)
        while lines() < 1, Date() < deadline { usleep(5_000) }
        let other = Self.minimal.replacingOccurrences(of: "hello", with: "other")
        Paths.write(other, to: "\(dir)/b.ext")
        while lines() < 2, Date() < deadline { usleep(5_000) }
        usleep(200_000)
        #expect(FileManager.default.fileExists(atPath: "\(dir)/out/12-deployment.other.other.yaml"), "\(Paths.read(logPath))")
    }

    @Test("a directory argument: an atomic save inside it and a spec in a new subdirectory are built; its own output never is")
    func directoryArgument() throws {
        let w = try WatchSession(spec: Self.minimal, specArgument: "$DIR")
        #expect(w.waitForRebuilds(1))
        w.atomicSave(Self.replicas(4))
        #expect(w.waitForRebuilds(2) && w.deployment.contains("replicas: 4"), "\(w.stderrText)")
        Paths.write(Self.minimal.replacingOccurrences(of: "hello", with: "deeper"), to: "\(w.dir)/more/deeper.ext")
        #expect(w.waitForRebuilds(3) && FileManager.default.fileExists(atPath: "\(w.out)/12-deployment.deeper.deeper.yaml"), "\(w.stderrText)")
        // A new directory is built for when it appears and again once it is watched (a file may
        // have landed in it first); then all is quiet: its own output and state trigger nothing.
        let settled = w.rebuilds
        usleep(500_000)
        #expect(settled <= 4 && w.rebuilds == settled, "\(w.stderrText)")
    }

    /// A watch over two specs, hello and other, built once. Edits go to `other`, so hello's
    /// results are kept unless the watch sees its state change.
    struct TwoSpecs {
        static let other = minimal.replacingOccurrences(of: "hello", with: "other")
        static let secret = "05-secret.hello.hello-tls.yaml"
        let w: WatchSession
        var state: String { "\(w.dir)/state/hello" }

        init() throws {
            w = try WatchSession(spec: WatchTests.minimal, specArgument: "$DIR")
            Paths.write(Self.other, to: "\(w.dir)/other.ext")
            #expect(w.waitForRebuilds(1))
        }

        func saveOther(replicas n: Int) {
            Paths.write(Self.other.replacingOccurrences(of: "  resource", with: "  replicas \(n)\n  resource"), to: "\(w.dir)/other.ext")
        }

        /// Deletes hello's serving pair, saves `other`, and waits for the build.
        func deletePairAndSave(replicas n: Int) -> Bool {
            for name in ["tls.crt", "tls.key"] { unlink("\(state)/\(name)") }
            usleep(100_000)
            saveOther(replicas: n)
            return w.waitForRebuilds(w.rebuilds + 1)
        }

        /// The output's Secret holds the certificate now in the state.
        var secretHoldsState: Bool {
            let cert = Paths.read("\(state)/tls.crt")
            return !cert.isEmpty && w.file(Self.secret).contains(Data(cert.utf8).base64EncodedString())
        }
    }

    @Test("certificate state removed while watching is re-issued by the next build, not reused from memory")
    func stateRemoved() throws {
        let t = try TwoSpecs(), w = t.w
        let before = w.file(TwoSpecs.secret)
        t.saveOther(replicas: 3)
        #expect(w.waitForRebuilds(2) && w.file(TwoSpecs.secret) == before, "an edit keeps the material")
        t.saveOther(replicas: 4)
        #expect(w.waitForRebuilds(3) && w.statusLines.last?.contains("(1 of 2 servers kept)") == true, "\(w.stderrText)")
        #expect(t.deletePairAndSave(replicas: 5), "\(w.stderrText)")
        #expect(w.file(TwoSpecs.secret) != before && t.secretHoldsState, "the Secret holds the certificate in the state: \(w.stderrText)")
    }

    @Test("a state directory replaced by another is watched anew: a key deleted from the new one is re-issued")
    func stateReplaced() throws {
        let t = try TwoSpecs(), w = t.w, state = t.state
        // The directory moved aside and an empty one moved into its place.
        rename(state, state + ".old")
        mkdir(state + ".new", 0o700)
        rename(state + ".new", state)
        t.saveOther(replicas: 3)
        #expect(w.waitForRebuilds(2) && FileManager.default.fileExists(atPath: "\(state)/tls.key"), "\(w.stderrText)")
        t.saveOther(replicas: 4)
        #expect(w.waitForRebuilds(3), "\(w.stderrText)")
        #expect(t.deletePairAndSave(replicas: 5), "\(w.stderrText)")
        #expect(t.secretHoldsState, "\(w.stderrText)")
    }

    @Test("a state directory deleted while watching is made again and watched: a key deleted from the new one is re-issued")
    func stateDeleted() throws {
        let t = try TwoSpecs(), w = t.w, state = t.state
        let before = w.file(TwoSpecs.secret)
        Paths.cleanUp(state)
        usleep(100_000)
        t.saveOther(replicas: 3)
        #expect(w.waitForRebuilds(2) && FileManager.default.fileExists(atPath: "\(state)/tls.key"), "\(w.stderrText)")
        #expect(w.file(TwoSpecs.secret) != before && t.secretHoldsState, "re-issued into the new directory: \(w.stderrText)")
        t.saveOther(replicas: 4)
        #expect(w.waitForRebuilds(3), "\(w.stderrText)")
        #expect(t.deletePairAndSave(replicas: 5), "\(w.stderrText)")
        #expect(t.secretHoldsState, "the new directory is watched: \(w.stderrText)")
    }

    @Test("the whole state directory moved away: the next build makes each server's state again where the spec says")
    func stateRootMoved() throws {
        let t = try TwoSpecs(), w = t.w
        t.saveOther(replicas: 3)
        #expect(w.waitForRebuilds(2), "\(w.stderrText)")
        rename("\(w.dir)/state", "\(w.dir)/state.old")
        usleep(100_000)
        t.saveOther(replicas: 4)
        #expect(w.waitForRebuilds(3) && FileManager.default.fileExists(atPath: "\(t.state)/tls.key"), "\(w.stderrText)")
        #expect(t.secretHoldsState, "\(w.stderrText)")
    }

    @Test("a state directory that is a symlink, retargeted to an empty directory: the next build issues into it")
    func stateSymlinkRetargeted() throws {
        let t = try TwoSpecs(), w = t.w, root = "\(w.dir)/state"
        rename(t.state, "\(root)/A")
        symlink("A", t.state)
        t.saveOther(replicas: 3)
        #expect(w.waitForRebuilds(2) && t.secretHoldsState, "\(w.stderrText)")
        t.saveOther(replicas: 4)
        #expect(w.waitForRebuilds(3), "\(w.stderrText)")
        // Retargeted in one step (a new link renamed over the old): only the parent sees it.
        mkdir("\(root)/B", 0o700)
        symlink("B", "\(root)/hello.new")
        rename("\(root)/hello.new", t.state)
        usleep(100_000)
        t.saveOther(replicas: 5)
        #expect(w.waitForRebuilds(4) && FileManager.default.fileExists(atPath: "\(root)/B/tls.key"), "\(w.stderrText)")
        #expect(t.secretHoldsState, "\(w.stderrText)")
    }

    @Test("a spec that is a symlink to a file elsewhere is read again when another spec's save starts a build")
    func symlinkedSpec() throws {
        let w = try WatchSession(spec: Self.minimal, specArgument: "$DIR")
        let elsewhere = Paths.temporaryDirectory("extc-elsewhere")
        defer { Paths.cleanUp(elsewhere) }
        #expect(w.waitForRebuilds(1), "\(w.stderrText)")
        let other = TwoSpecs.other
        Paths.write(other, to: "\(elsewhere)/other.ext")
        // Older than the two seconds within which a file is always read again (`FrontEnd`).
        usleep(2_200_000)
        symlink("\(elsewhere)/other.ext", "\(w.dir)/other.ext")
        #expect(w.waitForRebuilds(2) && FileManager.default.fileExists(atPath: "\(w.out)/12-deployment.other.other.yaml"), "\(w.stderrText)")
        let built = w.rebuilds
        Paths.write(other.replacingOccurrences(of: "  resource", with: "  replicas 6\n  resource"), to: "\(elsewhere)/other.ext")
        usleep(100_000)
        w.atomicSave(Self.replicas(3))
        #expect(w.waitForRebuilds(built + 1), "\(w.stderrText)")
        #expect(w.file("12-deployment.other.other.yaml").contains("replicas: 6"), "\(w.stderrText)")
    }

    @Test("a file in a state directory that a spec reads (through a volume) rebuilds when it changes")
    func stateFileAsInput() throws {
        let w = try WatchSession(spec: Self.minimal, specArgument: "$DIR")
        #expect(w.waitForRebuilds(1))
        Paths.write("note-v1\n", to: "\(w.dir)/state/hello/note.txt")
        let reader = Self.minimal.replacingOccurrences(of: "hello", with: "reader")
            .replacingOccurrences(of: "  resource", with: "  volume trust {\n    files state/hello/note.txt\n    mount /etc/trust\n  }\n  resource")
        Paths.write(reader, to: "\(w.dir)/reader.ext")
        #expect(w.waitForRebuilds(2), "\(w.stderrText)")
        func configMap() -> String {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: w.out)) ?? []
            return names.filter { $0.contains("configmap.reader") }.map { w.file($0) }.joined()
        }
        #expect(configMap().contains("note-v1"), "\(w.stderrText)")
        let seen = w.rebuilds
        Paths.write("note-v2\n", to: "\(w.dir)/state/hello/note.txt")
        #expect(w.waitForRebuilds(seen + 1) && configMap().contains("note-v2"), "\(w.stderrText)")
    }

    @Test("--once builds and exits; a failure's status line says what failed")
    func once() {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let r = Run.extc(["watch", "\(Paths.samples)/minimal.ext", "-o", "\(dir)/all.yaml", "--state", dir, "--once"])
        #expect(r.status == 0 && r.stderr.contains("built in"))
        #expect(Paths.read("\(dir)/all.yaml").contains("kind: APIService"))
        #expect(Run.extc(["watch", "\(Paths.samples)/minimal.ext"]).status == 64, "watch needs an output")
        // A failure says what failed, and whether there was output to keep.
        let missing = Run.extc(["watch", "\(dir)/nope.ext", "-o", "\(dir)/none.yaml", "--state", dir, "--once"])
        #expect(missing.status == 74 && missing.stderr.contains("failed in") && missing.stderr.contains("a file could not be read or written; nothing written"),
                "\(missing.stderr)")
    }
}
