import ExtcEmit
import Foundation
import Testing

/// The pull-request workflow, end to end, on a scripted git history in a temp repository.
struct WorkflowTests {
    static let git = Run.which("git")

    func git(_ args: [String], in dir: String) -> Finished {
        Run.program(Self.git!, ["-c", "user.name=extc", "-c", "user.email=extc@example.com", "-c", "init.defaultBranch=main"] + args, cwd: dir)
    }

    @Test("a fresh clone's drift check needs no private key: committed specs, public certificates and output pass; a change is named")
    func driftCheckInClone() throws {
        guard let _ = Self.git else { if Run.inCI { Issue.record("git is missing") }; return }
        let root = Paths.temporaryDirectory()
        defer { Paths.cleanUp(root) }
        let repo = "\(root)/repo", clone = "\(root)/clone"
        try FileManager.default.createDirectory(atPath: repo, withIntermediateDirectories: true)
        Paths.write(Paths.read("\(Paths.samples)/wardle.ext"), to: "\(repo)/wardle.ext")
        #expect(git(["init", "-q"], in: repo).status == 0)
        let built = Run.extc(["build", "wardle.ext", "--no-secrets", "--layout", "kustomize", "-o", "deploy"], cwd: repo)
        #expect(built.status == 0, "\(built.stderr)")
        #expect(git(["add", "-A"], in: repo).status == 0)
        #expect(git(["commit", "-qm", "specs, public certificates, output"], in: repo).status == 0)
        let tracked = git(["ls-files"], in: repo).stdout.split(separator: "\n").map(String.init)
        #expect(tracked.contains(".extc/wardle/ca.crt") && tracked.contains(".extc/wardle/etcd-ca.crt"), "\(tracked)")
        #expect(!tracked.contains { $0.hasSuffix(".key") || $0.contains(".key.") || $0.hasSuffix(".spec") || $0.hasSuffix(".lock") }, "\(tracked)")

        #expect(git(["clone", "-q", repo, clone], in: root).status == 0)
        let check = Run.extc(["build", "wardle.ext", "--no-secrets", "--layout", "kustomize", "-o", "deploy", "--check"], cwd: clone)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(clone)/.extc/wardle/ca.key"), "the check issued nothing")
        // The CI job's gate: without keys, `check --no-secrets` passes where a check of a build
        // with keys says what is missing, and how to check here instead.
        let gate = Run.extc(["check", "wardle.ext", "--no-secrets", "--deny", "warnings", "--diagnostics", "github"], cwd: clone)
        #expect(gate.status == 0 && gate.stderr.isEmpty, "\(gate.stderr)")
        let withKeys = Run.extc(["check", "wardle.ext"], cwd: clone)
        #expect(withKeys.status == 1 && withKeys.stderr.contains("error[E0308]") && withKeys.stderr.contains("ca.crt is there but its key is not")
                && withKeys.stderr.contains("check with --no-secrets"), "\(withKeys.stderr)")
        try Self.expectKustomizable("\(clone)/deploy", secrets: false)
        // In the original working tree, with keys: the Secrets are their own git-ignored kustomization.
        #expect(Run.extc(["build", "wardle.ext", "--layout", "kustomize", "-o", "deploy"], cwd: repo).status == 0)
        #expect(git(["status", "--porcelain"], in: repo).stdout.isEmpty, "the Secrets are ignored")
        try Self.expectKustomizable("\(repo)/deploy", secrets: true)
        // A build without Secrets leaves the key files alone, and changes no committed file.
        #expect(Run.extc(["build", "wardle.ext", "--no-secrets", "--layout", "kustomize", "-o", "deploy"], cwd: repo).status == 0)
        #expect(git(["status", "--porcelain"], in: repo).stdout.isEmpty)
        #expect(FileManager.default.fileExists(atPath: "\(repo)/deploy/secrets/05-secret.wardle.wardle-tls.yaml"))

        Paths.write(Paths.read("\(clone)/wardle.ext").replacingOccurrences(of: "  port      8443", with: "  port      9443"), to: "\(clone)/wardle.ext")
        let drift = Run.extc(["build", "wardle.ext", "--no-secrets", "--layout", "kustomize", "-o", "deploy", "--check"], cwd: clone)
        #expect(drift.status == 2 && drift.stderr.contains("deploy/12-deployment.wardle.wardle.yaml differs"), "\(drift.stderr)")
        let shown = Run.extc(["build", "wardle.ext", "--no-secrets", "--layout", "kustomize", "-o", "deploy/", "--check", "--diff"], cwd: clone)
        #expect(shown.status == 2 && !shown.stderr.contains("//"), "paths are normalised: \(shown.stderr)")
        #expect(shown.stdout.contains("+++ deploy/12-deployment.wardle.wardle.yaml (built)") && shown.stdout.contains("+        - --secure-port=9443"),
                "\(shown.stdout)")

        try FileManager.default.removeItem(atPath: "\(clone)/.extc/wardle/ca.crt")
        let none = Run.extc(["build", "wardle.ext", "--no-secrets", "--layout", "kustomize", "-o", "deploy", "--check"], cwd: clone)
        #expect(none.status == 1 && none.stderr.contains("error[E0310]"), "\(none.stderr)")
        let noneChecked = Run.extc(["check", "wardle.ext", "--no-secrets"], cwd: clone)
        #expect(noneChecked.status == 1 && noneChecked.stderr.contains("error[E0310]"), "\(noneChecked.stderr)")
    }

    /// The committed half of a kustomize layout applies on its own: every resource it lists is there
    /// and holds one object, and no Secret is among them; `secrets/` (when present) is a
    /// kustomization of the Secrets alone. Where kubectl is installed, `kubectl kustomize` renders
    /// both (kubectl comes from no Debian or PyPI package, so CI runs the structural half only).
    static func expectKustomizable(_ deploy: String, secrets: Bool) throws {
        for (dir, onlySecrets) in [(deploy, false)] + (secrets ? [("\(deploy)/secrets", true)] : []) {
            let k = try #require(try YAMLReader.read(Paths.read("\(dir)/kustomization.yaml")).first)
            let resources = (k["resources"]?.listValue ?? []).compactMap(\.stringValue)
            #expect(!resources.isEmpty)
            for r in resources {
                let docs = try YAMLReader.read(Paths.read("\(dir)/\(r)"))
                #expect(docs.count == 1 && (docs[0]["kind"] == "Secret") == onlySecrets, "\(dir)/\(r)")
            }
            guard let kubectl = Run.which("kubectl") else { continue }
            let rendered = Run.program(kubectl, ["kustomize", dir])
            #expect(rendered.status == 0, "kubectl kustomize \(dir): \(rendered.stderr)")
            #expect(rendered.stdout.components(separatedBy: "\nkind: ").count - 1 + (rendered.stdout.hasPrefix("kind: ") ? 1 : 0) >= resources.count - 1)
        }
        #expect(secrets == FileManager.default.fileExists(atPath: "\(deploy)/secrets/kustomization.yaml"))
    }

    @Test("-o FILE holding keys in a git work tree that would commit it is warned about, by build and watch; ignored, without keys, or outside git, not")
    func streamInRepository() throws {
        let root = Paths.temporaryDirectory()
        defer { Paths.cleanUp(root) }
        let repo = "\(root)/repo", minimal = "\(Paths.samples)/minimal.ext"
        #expect(git(["init", "-q", repo], in: root).status == 0)
        let warning = "holds private keys, and git would commit it"
        let exposed = Run.extc(["build", minimal, "--state", "\(root)/state", "-o", "\(repo)/deploy.yaml"])
        #expect(exposed.status == 0 && exposed.stderr.contains("warning: \(repo)/deploy.yaml \(warning)"), "\(exposed.stderr)")
        let watched = Run.extc(["watch", minimal, "--state", "\(root)/state", "-o", "\(repo)/deploy.yaml", "--once"])
        #expect(watched.status == 0 && watched.stderr.contains("warning: \(repo)/deploy.yaml \(warning)"), "\(watched.stderr)")
        let github = Run.extc(["build", minimal, "--state", "\(root)/state", "-o", "\(repo)/deploy.yaml", "--diagnostics", "github"])
        #expect(github.stderr.contains("::warning::\(repo)/deploy.yaml \(warning)"), "\(github.stderr)")
        let reviewable = Run.extc(["build", minimal, "--state", "\(root)/state", "-o", "\(repo)/deploy.yaml", "--no-secrets"])
        #expect(reviewable.status == 0 && !reviewable.stderr.contains("warning"), "\(reviewable.stderr)")
        Paths.write("deploy.yaml\n", to: "\(repo)/.gitignore")
        let ignored = Run.extc(["build", minimal, "--state", "\(root)/state", "-o", "\(repo)/deploy.yaml"])
        #expect(ignored.status == 0 && !ignored.stderr.contains("warning"), "\(ignored.stderr)")
        let outside = Run.extc(["build", minimal, "--state", "\(root)/state", "-o", "\(root)/deploy.yaml"])
        #expect(outside.status == 0 && !outside.stderr.contains("warning"), "\(outside.stderr)")
        // The file git would take is the one written: a symlink's target, however the link is ignored.
        try FileManager.default.createDirectory(atPath: "\(repo)/build", withIntermediateDirectories: true)
        #expect(symlink("build/real.yaml", "\(repo)/link.yaml") == 0)
        Paths.write("deploy.yaml\nlink.yaml\n", to: "\(repo)/.gitignore")
        let linked = Run.extc(["build", minimal, "--state", "\(root)/state", "-o", "\(repo)/link.yaml"])
        #expect(linked.stderr.contains("build/real.yaml) \(warning)"), "\(linked.stderr)")
        // Names are paths, never options or pathspec magic: `:x.yaml` is not `x.yaml`.
        Paths.write("x.yaml\n", to: "\(repo)/.gitignore")
        for name in ["-x.yaml", ":x.yaml"] {
            let odd = Run.extc(["build", minimal, "--state", "\(root)/state", "-o", "\(repo)/\(name)"])
            #expect(odd.status == 0 && odd.stderr.contains("\(name) \(warning)"), "\(name): \(odd.stderr)")
        }
    }

    @Test("a watch warns about a stream git would commit once, not on every save")
    func watchWarnsOnce() throws {
        let repo = Paths.temporaryDirectory()
        defer { Paths.cleanUp(repo) }
        #expect(git(["init", "-q", repo], in: repo).status == 0)
        let spec = "\(repo)/spec.ext", log = "\(repo)/watch.log", minimal = Paths.read("\(Paths.samples)/minimal.ext")
        Paths.write(minimal, to: spec)
        #expect(FileManager.default.createFile(atPath: log, contents: nil))
        let watch = Process()
        watch.executableURL = URL(fileURLWithPath: Paths.extc)
        watch.arguments = ["watch", spec, "-o", "\(repo)/out.yaml", "--state", "\(repo)/.state", "--settle", "0"]
        (watch.standardError, watch.standardOutput) = (FileHandle(forWritingAtPath: log), FileHandle.nullDevice)
        try watch.run()
        defer { if watch.isRunning { watch.terminate(); watch.waitUntilExit() } }
        func builds() -> Int { Paths.read(log).split(separator: "\n").filter { $0.hasPrefix("[") }.count }
        func wait(for n: Int) -> Bool {
            let deadline = Date().addingTimeInterval(15)
            while builds() < n, Date() < deadline { usleep(5_000) }
            return builds() >= n
        }
        #expect(wait(for: 1), "\(Paths.read(log))")
        for replicas in [3, 4] {
            Paths.write(minimal.replacingOccurrences(of: "  resource", with: "  replicas \(replicas)\n  resource"), to: spec)
            #expect(wait(for: replicas - 1), "\(Paths.read(log))")
        }
        let warnings = Paths.read(log).components(separatedBy: "holds private keys, and git would commit it").count - 1
        #expect(warnings == 1, "\(Paths.read(log))")
    }

    @Test("extc diff: object by object against a git revision, human and JSON, Secret data redacted, exit 0 same / 1 different")
    func diff() throws {
        guard let _ = Self.git else { if Run.inCI { Issue.record("git is missing") }; return }
        let repo = Paths.temporaryDirectory("extc-diff")
        defer { Paths.cleanUp(repo) }
        let spec = "\(repo)/wardle.ext"
        Paths.write(Paths.read("\(Paths.samples)/wardle.ext"), to: spec)
        // The committed public state (fixture certificates), so the caBundle is the same every run.
        for file in ["ca.crt", "tls.crt", "etcd-ca.crt"] {
            Paths.write(Paths.read("\(Paths.fixtures)/state/wardle/\(file)"), to: "\(repo)/.extc/wardle/\(file)")
        }
        #expect(git(["init", "-q"], in: repo).status == 0)
        #expect(git(["add", "-A"], in: repo).status == 0)
        #expect(git(["commit", "-qm", "wardle"], in: repo).status == 0)
        let same = Run.extc(["diff", "wardle.ext"], cwd: repo)
        #expect(same.status == 0 && same.stdout.isEmpty, "\(same.stdout)\(same.stderr)")

        Paths.write(Paths.read(spec).replacingOccurrences(of: "  port      8443", with: "  port      9443")
            .replacingOccurrences(of: "versions  v1alpha1 v1beta1", with: "versions  v1beta1")
            .replacingOccurrences(of: "  storage sidecar", with: "  storage sidecar\n  labels { team wardle }"), to: spec)
        let human = Run.extc(["diff", "wardle.ext", "--base", "HEAD"], cwd: repo)
        #expect(human.status == 1, "\(human.stderr)")
        Golden.check(human.stdout, "diff/wardle.txt")
        #expect(human.stdout.contains("- removed APIService v1alpha1.wardle.example.com"))
        #expect(human.stdout.contains("+        - --secure-port=9443"))
        let json = Run.extc(["diff", "wardle.ext", "--format", "json"], cwd: repo)
        #expect(json.status == 1)
        Golden.check(json.stdout, "diff/wardle.json")
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let changes = try #require(parsed["changes"] as? [[String: Any]])
        #expect(changes.contains { $0["change"] as? String == "removed" } && changes.contains { $0["change"] as? String == "changed" })
        #expect(json.stdout.contains("(redacted)") && !json.stdout.contains("PRIVATE KEY"), "Secret data is redacted")
        #expect(Run.extc(["diff", "wardle.ext", "--base", "no-such-revision"], cwd: repo).status == 2)
    }
}
