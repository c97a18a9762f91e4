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
