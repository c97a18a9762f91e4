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
    }
}
