import Foundation
import Testing

/// A watch writes only what changed in a layout directory while nothing else touched it, and the
/// whole set again when something did: after every build the directory holds exactly what a
/// one-shot `extc build` of the same spec and state writes.
@Suite(.serialized)
struct WatchOutputTests {
    static let minimal = WatchTests.minimal

    /// Every file under `dir` (one level of subdirectories), by relative path.
    static func snapshot(_ dir: String) -> [String: String] {
        var out: [String: String] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: "\(dir)/\(name)", isDirectory: &isDirectory)
            if isDirectory.boolValue {
                for (child, text) in snapshot("\(dir)/\(name)") { out["\(name)/\(child)"] = text }
            } else {
                out[name] = Paths.read("\(dir)/\(name)")
            }
        }
        return out
    }

    /// What a one-shot build of the session's spec, with its state, writes into a new directory.
    static func reference(_ w: WatchSession, _ extraArgs: [String]) -> [String: String] {
        let ref = "\(w.dir)/reference-\(UUID().uuidString)"
        defer { Paths.cleanUp(ref) }
        let r = Run.extc(["build", w.spec, "--out-dir", ref, "--state", "\(w.dir)/state"] + extraArgs)
        #expect(r.status == 0, "\(r.stderr)")
        return snapshot(ref)
    }

    /// The paths whose presence or text differ between two snapshots (an empty list: the same).
    static func differences(_ a: [String: String], _ b: [String: String]) -> [String] {
        Set(a.keys).union(b.keys).filter { a[$0] != b[$0] }.sorted()
    }

    /// Whether the directory open at `fd` is still the one at `path` (not removed, which a
    /// one-step publish does to the old set; inode numbers alone may be reused).
    static func same(_ fd: Int32, _ path: String) -> Bool {
        var a = stat(), b = stat()
        return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_nlink > 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev
    }

    static func withVersions(_ versions: String, replicas: Int) -> String {
        WatchTests.replicas(replicas).replacingOccurrences(of: "versions  v1alpha1", with: "versions  \(versions)")
    }

    @Test("edits that change a file's text, add files and remove them update the directory in place, as a build would",
          arguments: [[], ["--layout", "kustomize"], ["--no-secrets"]])
    func inPlace(_ extraArgs: [String]) throws {
        let w = try WatchSession(spec: Self.minimal, extraArgs: extraArgs)
        #expect(w.waitForRebuilds(1), "\(w.stderrText)")
        let directory = open(w.out, O_RDONLY | O_DIRECTORY)
        defer { close(directory) }
        #expect(Self.differences(Self.snapshot(w.out), Self.reference(w, extraArgs)) == [])
        Paths.write("my own notes\n", to: "\(w.out)/NOTES.md")
        // Text only; then a new version (an APIService file more, records change); then back;
        // then storage (Secrets more; the `.gitignore`, by pattern, stays), and back (Secrets
        // gone); then a field, in place only if the watch expected all those writes' events.
        let edits = [WatchTests.replicas(3), Self.withVersions("v1alpha1 v1beta1", replicas: 3), Self.withVersions("v1beta1", replicas: 4),
                     Self.withStorage, Self.minimal, WatchTests.replicas(2)]
        for (n, text) in edits.enumerated() {
            w.atomicSave(text)
            #expect(w.waitForRebuilds(n + 2), "\(w.stderrText)")
            var expected = Self.reference(w, extraArgs)
            expected["NOTES.md"] = "my own notes\n"
            #expect(Self.differences(Self.snapshot(w.out), expected) == [], "after edit \(n + 1): \(w.stderrText)")
            #expect(Self.same(directory, w.out), "edit \(n + 1) was written in place, not by publishing a new set")
        }
        #expect(w.file("14-apiservice.v1alpha1.hello.example.com.yaml").contains("v1alpha1"))
        #expect(!FileManager.default.fileExists(atPath: "\(w.out)/14-apiservice.v1beta1.hello.example.com.yaml"))
        #expect(w.leftovers().isEmpty)
    }

    static let withStorage = minimal.replacingOccurrences(of: "  resource", with: "  storage sidecar\n  resource")

    /// Whether a root-anchored line of a `.gitignore` (a file pattern, or a directory's) covers `name`.
    static func ignored(_ name: String, by lines: Set<String>) -> Bool {
        lines.contains { line in
            guard line.hasPrefix("/") else { return false }
            let pattern = String(line.dropFirst())
            return pattern.hasSuffix("/") ? name.hasPrefix(pattern) : fnmatch(pattern, name, FNM_PATHNAME) == 0
        }
    }

    @Test("a `.gitignore` of the user's own: Secrets added and removed are written in place, extc's patterns merged in and the user's kept; never removed")
    func userIgnore() throws {
        let w = try WatchSession(spec: Self.minimal)
        #expect(w.waitForRebuilds(1), "\(w.stderrText)")
        let ignore = "\(w.out)/.gitignore"
        Paths.write("*.log\n", to: ignore)  // another hand: the next build writes the set whole
        w.atomicSave(WatchTests.replicas(3))
        #expect(w.waitForRebuilds(2), "\(w.stderrText)")
        let directory = open(w.out, O_RDONLY | O_DIRECTORY)
        defer { close(directory) }
        let managed = Self.minimal.replacingOccurrences(of: "  resource", with: "  certs { ca cert-manager }\n  resource")
        for (n, text) in [Self.withStorage, Self.minimal, managed].enumerated() {
            w.atomicSave(text)
            #expect(w.waitForRebuilds(n + 3), "\(w.stderrText)")
            #expect(Self.same(directory, w.out), "edit \(n + 1) was written in place: \(w.stderrText)")
            let lines = Set(Paths.read(ignore).split(separator: "\n").map(String.init))
            #expect(lines.contains("*.log"), "edit \(n + 1): the user's line is kept")
            let keys = Paths.read("\(w.out)/.extc-secret-files").split(separator: "\n").filter { !$0.hasPrefix("#") }
            #expect(keys.allSatisfy { Self.ignored(String($0), by: lines) }, "edit \(n + 1): every key file is ignored: \(keys) \(lines)")
        }
        #expect(Paths.read(ignore).contains("/05-secret.*\n"), "a user's file keeps what extc added")
        #expect(!FileManager.default.fileExists(atPath: "\(w.out)/05-secret.hello.hello-tls.yaml"), "cert-manager's build has no key file")
        #expect(w.leftovers().isEmpty)
    }

    @Test("a file of the set changed, removed or replaced by another hand is put back by the next build")
    func otherHands() throws {
        let w = try WatchSession(spec: Self.minimal)
        #expect(w.waitForRebuilds(1), "\(w.stderrText)")
        let account = "01-serviceaccount.hello.hello.yaml", service = "09-service.hello.hello.yaml", role = "02-clusterrole.hello_view.yaml"
        // Each tampering with a file the next edit (replicas: the Deployment only) does not change.
        let tamperings: [(String, (String) -> Void)] = [
            ("overwritten", { _ in Paths.write("tampered: true\n", to: "\(w.out)/\(account)") }),
            ("removed", { _ in unlink("\(w.out)/\(service)") }),
            ("renamed over", { _ in Paths.write("other: true\n", to: "\(w.out)/.x"); rename("\(w.out)/.x", "\(w.out)/\(role)") }),
            ("record edited", { _ in Paths.write("# nothing\n", to: "\(w.out)/.extc-files") }),
        ]
        for (n, (what, tamper)) in tamperings.enumerated() {
            tamper(what)
            usleep(50_000)
            w.atomicSave(WatchTests.replicas(3 + n))
            #expect(w.waitForRebuilds(n + 2), "\(w.stderrText)")
            #expect(Self.differences(Self.snapshot(w.out), Self.reference(w, [])) == [], "a file \(what) is put back: \(w.stderrText)")
        }
    }

    @Test("the output directory deleted while watching is written whole by the next build")
    func directoryDeleted() throws {
        let w = try WatchSession(spec: Self.minimal)
        #expect(w.waitForRebuilds(1), "\(w.stderrText)")
        Paths.cleanUp(w.out)
        usleep(50_000)
        w.atomicSave(WatchTests.replicas(3))
        #expect(w.waitForRebuilds(2), "\(w.stderrText)")
        #expect(Self.differences(Self.snapshot(w.out), Self.reference(w, [])) == [], "\(w.stderrText)")
        w.atomicSave(WatchTests.replicas(4))
        #expect(w.waitForRebuilds(3), "\(w.stderrText)")
        #expect(Self.differences(Self.snapshot(w.out), Self.reference(w, [])) == [], "\(w.stderrText)")
    }

    @Test("a stream: each save's output is a build's; an edit rewrites it, a save of the same text leaves it, a foreign edit is undone")
    func stream() throws {
        let w = try WatchSession(spec: Self.minimal, stream: true)
        let path = "\(w.dir)/out.yaml"
        func reference() -> String {
            let r = Run.extc(["build", w.spec, "-o", "\(w.dir)/reference.yaml", "--state", "\(w.dir)/state"])
            #expect(r.status == 0, "\(r.stderr)")
            return Paths.read("\(w.dir)/reference.yaml")
        }
        func inode() -> UInt64 { var st = stat(); return stat(path, &st) == 0 ? UInt64(st.st_ino) : 0 }
        #expect(w.waitForRebuilds(1) && Paths.read(path) == reference(), "\(w.stderrText)")
        w.atomicSave(WatchTests.replicas(3))
        #expect(w.waitForRebuilds(2) && Paths.read(path) == reference() && Paths.read(path).contains("replicas: 3"), "\(w.stderrText)")
        let kept = inode()
        w.atomicSave(WatchTests.replicas(3))
        #expect(w.waitForRebuilds(3) && inode() == kept, "the same text: the file is left as it is")
        Paths.write("edited: by hand\n", to: path)
        w.atomicSave(WatchTests.replicas(3) + "\n")
        #expect(w.waitForRebuilds(4) && Paths.read(path) == reference(), "a save that changes nothing puts back what a build makes")
        w.atomicSave(WatchTests.replicas(4))
        #expect(w.waitForRebuilds(5) && Paths.read(path) == reference() && Paths.read(path).contains("replicas: 4"), "\(w.stderrText)")
    }
}
