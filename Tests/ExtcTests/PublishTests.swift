import ExtcSyntax
import Foundation
import Testing

/// Layout directories are published in one step: built beside the target and exchanged with it.
@Suite(.serialized)
struct PublishTests {
    static let wardle = "\(Paths.samples)/wardle.ext"

    /// The wardle sample serving from `service`, so each build changes the Service, the
    /// APIServices and the serving Secret together.
    static func spec(_ dir: String, service: String) -> String {
        let path = "\(dir)/spec.ext"
        Paths.write(Paths.read(wardle).replacingOccurrences(of: "service   api", with: "service   \(service)"), to: path)
        return path
    }

    static func inode(_ path: String) -> UInt64 {
        var st = stat()
        return stat(path, &st) == 0 ? UInt64(st.st_ino) : 0
    }

    @Test("a reader that opens the directory once sees one build's whole set, or knows it was retired")
    func readerSeesOneSet() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let deploy = "\(dir)/deploy", state = "\(dir)/state"
        let build = { (service: String) in
            Run.extc(["build", Self.spec(dir, service: service), "--state", state, "--layout", "kustomize", "-o", deploy])
        }
        #expect(build("api").status == 0)
        let reader = Reader(deploy)
        let thread = Thread { reader.run() }
        thread.start()
        for i in 0..<24 { #expect(build(i % 2 == 0 ? "api2" : "api").status == 0) }
        reader.stop()
        #expect(reader.reads > 20, "only \(reader.reads) reads: the reader did not overlap the builds")
        #expect(reader.mixes.isEmpty, "\(reader.mixes.count) mixed reads, first: \(reader.mixes.first ?? "")")
        #expect(LayoutSet.inconsistency(try #require(LayoutSet.read(deploy))) == nil)
    }

    @Test("the swap keeps unchanged files' inodes, the user's files, the directory's mode, and a symlink to the directory")
    func swapKeeps() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let real = "\(dir)/real", link = "\(dir)/deploy", state = "\(dir)/state"
        #expect(Run.extc(["build", Self.spec(dir, service: "api"), "--state", state, "--layout", "dir", "-o", real]).status == 0)
        #expect(symlink("real", link) == 0 && chmod(real, 0o750) == 0)
        Paths.write("mine\n", to: "\(real)/NOTES.md")
        let account = "\(real)/01-serviceaccount.wardle.wardle.yaml"
        let (before, accountBefore) = (Self.inode(real), Self.inode(account))
        #expect(Run.extc(["build", Self.spec(dir, service: "api2"), "--state", state, "--layout", "dir", "-o", link]).status == 0)
        #expect(Self.inode(real) != before, "the directory was not exchanged")
        #expect(Self.inode(account) == accountBefore, "an unchanged file was rewritten")
        #expect(Paths.read("\(real)/NOTES.md") == "mine\n" && FileIO.mode(of: real) == 0o750)
        #expect(FileIO.kind(link) == S_IFLNK && FileManager.default.fileExists(atPath: "\(real)/09-service.wardle.api2.yaml"))
        #expect(!FileManager.default.fileExists(atPath: "\(real)/09-service.wardle.api.yaml"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).allSatisfy { !$0.contains("extc-new") })
    }

    @Test("a directory of the user's inside, or the working directory: written file by file, nothing lost")
    func fallsBack() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let deploy = "\(dir)/deploy", state = "\(dir)/state"
        #expect(Run.extc(["build", Self.spec(dir, service: "api"), "--state", state, "--layout", "dir", "-o", deploy]).status == 0)
        Paths.write("x\n", to: "\(deploy)/patches/x.yaml")
        let before = Self.inode(deploy)
        #expect(Run.extc(["build", Self.spec(dir, service: "api2"), "--state", state, "--layout", "dir", "-o", deploy]).status == 0)
        #expect(Self.inode(deploy) == before && Paths.read("\(deploy)/patches/x.yaml") == "x\n")
        #expect(FileManager.default.fileExists(atPath: "\(deploy)/09-service.wardle.api2.yaml"))
        try FileManager.default.removeItem(atPath: "\(deploy)/patches")
        #expect(Run.extc(["build", Self.spec(dir, service: "api"), "--state", "../state", "--layout", "dir", "-o", "."], cwd: deploy).status == 0)
        #expect(Self.inode(deploy) == before, "the working directory was exchanged")
        #expect(LayoutSet.inconsistency(try #require(LayoutSet.read(deploy))) == nil)
    }

    @Test("a staging directory a killed build left is removed by the next once a minute old")
    func sweepsStaging() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let old = "\(dir)/.deploy.extc-new-0123456789abcdef", young = "\(dir)/.deploy.extc-new-fedcba9876543210"
        Paths.write("-----BEGIN PRIVATE KEY-----\n", to: "\(old)/secrets/05-secret.yaml")
        Paths.write("x\n", to: "\(young)/x")
        var aged = [timespec(tv_sec: time(nil) - 600, tv_nsec: 0), timespec(tv_sec: time(nil) - 600, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, old, &aged, 0) == 0)
        #expect(Run.extc(["build", Self.spec(dir, service: "api"), "--state", "\(dir)/state", "--layout", "kustomize", "-o", "\(dir)/deploy"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: old) && FileManager.default.fileExists(atPath: young))
    }
}

/// Reads the layout over and over from another thread, recording every read that is not one set.
final class Reader: @unchecked Sendable {
    private let dir: String
    private let lock = NSLock()
    private var done = false, count = 0, found: [String] = []
    init(_ dir: String) { self.dir = dir }

    func run() {
        while !isDone {
            // A read of a set that was retired meanwhile may miss files (they are being removed);
            // it knows, and a careful reader reads again. Any other read must be one whole set.
            guard let (files, retired) = LayoutSet.snapshot(dir) else { continue }
            let problem = retired ? nil : LayoutSet.inconsistency(files)
            lock.lock(); count += 1; if let problem { found.append(problem) }; lock.unlock()
        }
    }

    private var isDone: Bool { lock.lock(); defer { lock.unlock() }; return done }
    func stop() { lock.lock(); done = true; lock.unlock(); usleep(50_000) }
    var reads: Int { lock.lock(); defer { lock.unlock() }; return count }
    var mixes: [String] { lock.lock(); defer { lock.unlock() }; return found }
}

/// Key material is made on every core; the result must not depend on it.
struct ParallelIssueTests {
    /// Twelve servers, every third with an etcd sidecar (so a server's serving and etcd parts run
    /// side by side), one file.
    static func spec(_ dir: String) -> String {
        let path = "\(dir)/many.ext"
        Paths.write((0..<12).map { i in
            """
            apiserver s\(i) {
              group g\(i).example.com; versions v1; namespace ns\(i); service api; image registry.example.com/s\(i):v1
              resource things { verbs get list }
            \(i % 3 == 0 ? "  storage sidecar\n" : "")}

            """
        }.joined(), to: path)
        return path
    }

    @Test("parallel and sequential (EXTC_JOBS=1) builds agree: the same notes in order, and the same bytes from the same keys")
    func sameResult() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let spec = Self.spec(dir)
        let env = { (jobs: String?) in
            var e = ProcessInfo.processInfo.environment
            e["EXTC_JOBS"] = jobs
            return e
        }
        let build = { (state: String, out: String, jobs: String?) in
            Run.program(Paths.extc, ["build", spec, "--state", state, "-o", out], environment: env(jobs))
        }
        let parallel = build("\(dir)/a", "\(dir)/a.yaml", nil), sequential = build("\(dir)/b", "\(dir)/b.yaml", "1")
        #expect(parallel.status == 0 && sequential.status == 0, "\(parallel.stderr)\(sequential.stderr)")
        let notes = { (r: Finished) in r.stderr.replacingOccurrences(of: "\(dir)/a", with: "S").replacingOccurrences(of: "\(dir)/b", with: "S") }
        #expect(notes(parallel) == notes(sequential) && parallel.stderr.contains("s9: issued"), "\(parallel.stderr)")
        // The parallel build's keys, built again one part at a time: byte for byte its output.
        #expect(Run.program("/bin/cp", ["-a", "\(dir)/a", "\(dir)/c"]).status == 0)
        #expect(build("\(dir)/c", "\(dir)/c.yaml", "1").status == 0)
        #expect(build("\(dir)/a", "\(dir)/a2.yaml", nil).status == 0)
        let first = Paths.read("\(dir)/a.yaml")
        #expect(!first.isEmpty && Paths.read("\(dir)/c.yaml") == first && Paths.read("\(dir)/a2.yaml") == first)
    }
}
