import ExtcDriver
import ExtcSyntax
import ExtcEmit
import Foundation
import Testing

/// The binary as users run it: exit codes, what goes to stdout and stderr, files and modes.
struct CLITests {
    let wardle = "\(Paths.samples)/wardle.ext"
    /// Two replicas and an etcd StatefulSet: every kind extc makes.
    let cluster = "\(Paths.samples)/cluster/wardle.ext"

    @Test func help() {
        let r = Run.extc(["--help"])
        #expect(r.status == 0)
        for sub in ["build", "check", "fmt", "watch", "certs", "explain"] { #expect(r.stdout.contains(sub)) }
        #expect(Run.extc(["build", "--help"]).stdout.contains("--no-secrets"))
    }

    /// Help wraps at the terminal's width: every line fits 80 columns, and a paragraph is one
    /// paragraph (at 400 columns it is one line, not broken where the source was).
    @Test("help text wraps: lines fit 80 columns, paragraphs are not broken where the source was")
    func helpWraps() {
        let env = { (cols: Int) in ProcessInfo.processInfo.environment.merging(["COLUMNS": "\(cols)"]) { _, new in new } }
        for sub in ["", "init", "build", "check", "fmt", "watch", "certs", "diff", "explain"] {
            let args = (sub.isEmpty ? [] : [sub]) + ["--help"]
            let narrow = Run.program(Paths.extc, args, environment: env(80))
            #expect(narrow.status == 0)
            let long = narrow.stdout.split(separator: "\n").filter { $0.count > 80 }
            #expect(long.isEmpty, "extc \(sub) --help at 80 columns: \(long)")
        }
        let root = Run.program(Paths.extc, ["--help"], environment: env(400)).stdout
        #expect(root.contains("\n  64  usage error\n"), "\(root)")
        let check = Run.program(Paths.extc, ["check", "--help"], environment: env(400)).stdout
        #expect(check.split(separator: "\n").contains { $0.hasPrefix("Reports everything a build would") && $0.hasSuffix("(W0005).") }, "\(check)")
    }

    @Test("exit codes: usage 64, I/O 74, spec errors 1")
    func exitCodes() {
        #expect(Run.extc(["frobnicate"]).status == 64)
        #expect(Run.extc(["build"]).status == 64)
        #expect(Run.extc(["build", wardle, "--layout", "dir"]).status == 64)
        let missing = Run.extc(["check", "/nonexistent/spec.ext"])
        #expect(missing.status == 74 && missing.stderr.contains("/nonexistent/spec.ext"))
        let bad = Run.extc(["check", "\(Paths.fixtures)/errors/fields.ext"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("fields.ext:5:3: error[E0101]: unknown field `grup`"))
        #expect(bad.stderr.contains("= help: did you mean `group`?"))
        #expect(bad.stderr.contains("\u{1B}[") == false, "no colour when stderr is not a terminal")
        #expect(bad.stdout.isEmpty)
    }

    /// `build`, `watch`, `certs` and `diff` start OpenSSL's set-up on another thread before the
    /// command line is parsed (`OpenSSLWarmUp`), so a usage error ends the process while that
    /// thread may still be inside OpenSSL. It must end with the usage error every time.
    @Test("a usage error ends cleanly while OpenSSL's warm-up may still run")
    func exitDuringWarmUp() {
        for i in 0..<32 {
            let sub = ["build", "watch", "certs", "diff"][i % 4]
            let r = Run.extc([sub, "--no-such-flag"])
            #expect(r.status == 64, "run \(i): `extc \(sub) --no-such-flag` ended with \(r.status): \(r.stderr)")
            if r.status != 64 { return }
        }
        // A debug extc parses too slowly to end inside the warm-up; the harness ends 0 to 4 ms
        // after starting it. Without OPENSSL_INIT_NO_ATEXIT, OpenSSL's exit-time clean-up freed
        // its tables under the warm-up and about one run in ten crashed.
        for i in 0..<120 {
            let r = Run.program(BenchTests.bench, ["exit-during-warm-up", "--after", "\(i % 40 * 100)"])
            #expect(r.status == 0, "run \(i): exit \(i % 40 * 100) µs into the warm-up ended with \(r.status): \(r.stderr)")
            if r.status != 0 { return }
        }
    }

    @Test("check passes on every sample")
    func checkSamples() {
        let r = Run.extc(["check"] + Paths.topSamples())
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty && r.stdout.isEmpty)
    }

    @Test("--diagnostics json: one object per line, with ranges")
    func jsonDiagnostics() throws {
        let r = Run.extc(["check", "--diagnostics", "json", "\(Paths.fixtures)/errors/resources.ext"])
        #expect(r.status == 1)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == Expectation.scan("\(Paths.fixtures)/errors/resources.ext").count)
        for line in lines {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(o["code"] is String && o["severity"] is String && o["message"] is String && o["file"] is String)
            let start = try #require((o["range"] as? [String: Any])?["start"] as? [String: Int])
            #expect(start["line"] != nil && start["column"] != nil && start["offset"] != nil)
        }
    }

    @Test("build to a pipe: the complete set, Secret included, notes on stderr")
    func buildStream() {
        let state = Paths.temporaryDirectory()
        defer { Paths.cleanUp(state) }
        let r = Run.extc(["build", cluster, "--state", state])
        #expect(r.status == 0, "\(r.stderr)")
        for kind in ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "RoleBinding", "Secret", "Service",
                     "NetworkPolicy", "StatefulSet", "Deployment", "PodDisruptionBudget", "APIService"] {
            #expect(r.stdout.contains("\nkind: \(kind)\n"), "no \(kind)")
        }
        #expect(r.stdout.hasPrefix("---\napiVersion: v1\nkind: Namespace\n"))
        #expect(r.stderr.contains("note: wardle: issued a new CA"))
        #expect(!r.stderr.contains("PRIVATE KEY") && !r.stderr.contains("tls.key:"))
        let again = Run.extc(["build", cluster, "--state", state])
        #expect(again.stdout == r.stdout && again.stderr.isEmpty, "a rebuild is byte-identical and silent")
    }

    @Test("-o FILE: 0600 with a Secret, 0644 without; --check; a failed build keeps the old file")
    func buildFile() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let spec = "\(dir)/wardle.ext", out = "\(dir)/out.yaml", reviewable = "\(dir)/review.yaml"
        Paths.write(Paths.read(cluster), to: spec)
        #expect(Run.extc(["build", spec, "-o", out]).status == 0)
        #expect(FileIO.mode(of: out) == 0o600)
        #expect(Run.extc(["build", spec, "--no-secrets", "-o", reviewable]).status == 0)
        #expect(FileIO.mode(of: reviewable) == 0o644 && !Paths.read(reviewable).contains("kind: Secret"))
        #expect(FileManager.default.fileExists(atPath: "\(dir)/.extc/wardle/ca.key"), "state beside the spec")
        #expect(Run.extc(["build", spec, "-o", out, "--check"]).status == 0)
        let before = Paths.read(out)
        Paths.write(Paths.read(spec).replacingOccurrences(of: "replicas  2", with: "replicas  3"), to: spec)
        let drift = Run.extc(["build", spec, "-o", out, "--check"])
        #expect(drift.status == 2 && drift.stderr.contains(out))
        #expect(Paths.read(out) == before, "--check writes nothing")
        Paths.write(Paths.read(spec).replacingOccurrences(of: "group     wardle.example.com", with: "group     wardle"), to: spec)
        let failed = Run.extc(["build", spec, "-o", out])
        #expect(failed.status == 1 && failed.stderr.contains("E0113"))
        #expect(Paths.read(out) == before, "a failed build leaves earlier output untouched")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains("extc-tmp") }
        #expect(leftovers.isEmpty)
    }

    @Test("--out-dir: one file per object, unchanged files untouched, stale ones removed, --check names differences")
    func buildDirectory() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let spec = "\(dir)/wardle.ext", out = "\(dir)/deploy"
        Paths.write(Paths.read(cluster), to: spec)
        #expect(Run.extc(["build", spec, "--layout", "kustomize", "-o", out]).status == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(files.contains("kustomization.yaml") && files.contains(".gitignore") && files.contains("12-deployment.wardle.wardle.yaml"))
        #expect(FileIO.mode(of: "\(out)/secrets/05-secret.wardle.wardle-tls.yaml") == 0o600)
        let mtime = try FileManager.default.attributesOfItem(atPath: "\(out)/12-deployment.wardle.wardle.yaml")[.modificationDate] as? Date
        usleep(20_000)
        #expect(Run.extc(["build", spec, "--layout", "kustomize", "-o", out, "--check"]).status == 0)
        #expect(Run.extc(["build", spec, "--layout", "kustomize", "-o", out]).status == 0)
        let mtime2 = try FileManager.default.attributesOfItem(atPath: "\(out)/12-deployment.wardle.wardle.yaml")[.modificationDate] as? Date
        #expect(mtime == mtime2, "an unchanged file is not rewritten")
        Paths.write(Paths.read(spec).replacingOccurrences(of: "replicas  2", with: "replicas  1"), to: spec)
        let drift = Run.extc(["build", spec, "--layout", "kustomize", "-o", out, "--check"])
        #expect(drift.status == 2)
        #expect(drift.stderr.contains("12-deployment.wardle.wardle.yaml differs"))
        #expect(drift.stderr.contains("13-poddisruptionbudget.wardle.wardle.yaml is no longer produced"))
        #expect(Run.extc(["build", spec, "--layout", "kustomize", "-o", out]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: "\(out)/13-poddisruptionbudget.wardle.wardle.yaml"))
        #expect(!Paths.read("\(out)/kustomization.yaml").contains("poddisruptionbudget.wardle.wardle.yaml"))
    }

    @Test("volume files: a ConfigMap named by its content's hash; a changed file renames it; a missing one, or one holding a private key, is E0307")
    func generatedConfigMap() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let spec = "\(dir)/adapter.ext", config = "\(dir)/prometheus-adapter/config.yaml"
        Paths.write(Paths.read("\(Paths.samples)/servers/prometheus-adapter.ext"), to: spec)
        Paths.write("rules: []\n", to: config)
        func configMap() throws -> (name: String, mounted: String, data: String) {
            let r = Run.extc(["build", spec, "--no-secrets"])
            #expect(r.status == 0, "\(r.stderr)")
            let docs = try YAMLReader.read(r.stdout)
            let cm = try #require(docs.first { $0["kind"] == "ConfigMap" })
            let deployment = try #require(docs.first { $0["kind"] == "Deployment" })
            let mounted = deployment.at("spec.template.spec")?["volumes"]?.listValue.compactMap { $0.at("configMap.name")?.stringValue }.first
            return (cm.at("metadata.name")?.stringValue ?? "", mounted ?? "", cm.at("data")?["config.yaml"]?.stringValue ?? "")
        }
        let first = try configMap()
        #expect(first.name.hasPrefix("prometheus-adapter-config-") && first.name.count == "prometheus-adapter-config-".count + 10)
        #expect(first.mounted == first.name && first.data == "rules: []\n")
        #expect(try configMap().name == first.name, "the same content keeps its name")
        Paths.write("rules: [cpu]\n", to: config)
        let second = try configMap()
        #expect(second.name != first.name && second.mounted == second.name, "a changed file rolls the pods")
        try FileManager.default.removeItem(atPath: config)
        let missing = Run.extc(["build", spec, "--no-secrets"])
        #expect(missing.status == 1 && missing.stderr.contains("error[E0307]") && missing.stderr.contains("config.yaml"))
        // A private key is never made a ConfigMap, nor quoted in the message, by build or check.
        let key = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBd0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2Vj\n-----END EC PRIVATE KEY-----\n"
        Paths.write("rules: []\n" + key, to: config)
        for command in [["build", spec, "--no-secrets"], ["check", spec]] {
            let r = Run.extc(command)
            #expect(r.status == 1 && r.stderr.contains("error[E0307]") && r.stderr.contains("holds a private key"), "\(r.stderr)")
            #expect(!(r.stdout + r.stderr).contains("MHcCAQEE"), "the key is not shown")
        }
    }

    @Test("check is the whole gate: a missing `ca files` CA is E0301 there too; --deny warnings fails on warnings; what fails a build fails the check")
    func checkGate() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let spec = "\(dir)/files.ext"
        Paths.write(Paths.read("\(Paths.samples)/minimal.ext").replacingOccurrences(of: "  resource", with: "  certs { ca files \"ca.crt\" \"ca.key\" }\n  resource"), to: spec)
        let r = Run.extc(["check", spec])
        #expect(r.status == 1 && r.stderr.contains("error[E0301]") && r.stderr.contains("your CA, named here"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/.extc"), "check writes nothing")
        let unpinned = "\(dir)/latest.ext"
        Paths.write(Paths.read("\(Paths.samples)/minimal.ext").replacingOccurrences(of: ":v0.1.0", with: ":latest"), to: unpinned)
        #expect(Run.extc(["check", unpinned]).status == 0)
        let denied = Run.extc(["check", unpinned, "--deny", "warnings"])
        #expect(denied.status == 1 && denied.stderr.contains("W0001"))
        // What fails a build fails the check, with the same exit status: no apiserver at all, and
        // a state path that a build could not make its directories under.
        let empty = "\(dir)/empty.ext"
        Paths.write("# nothing here yet\n", to: empty)
        for command in ["check", "build"] {
            let r = Run.extc([command, empty])
            #expect(r.status == 1 && r.stderr.contains("no apiserver"), "\(command): \(r.stderr)")
        }
        Paths.write("not a directory\n", to: "\(dir)/state")
        #expect(symlink("\(dir)/nowhere", "\(dir)/dangling") == 0)
        for state in ["\(dir)/state", "\(dir)/state/sub", "\(dir)/dangling"] {
            let checked = Run.extc(["check", unpinned, "--state", state]), built = Run.extc(["build", unpinned, "--state", state])
            #expect(checked.status == 74 && checked.stderr.contains("error[E0306]") && checked.stderr.contains("is not a directory"),
                    "\(checked.stderr)")
            #expect(built.status == 74 && built.stderr.contains("error[E0306]"), "\(built.stderr)")
        }
    }

    @Test("a misspelt required field reports the cause only, not the missing field it causes")
    func noCascade() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        Paths.write(Paths.read("\(Paths.samples)/minimal.ext").replacingOccurrences(of: "versions  v1alpha1", with: "version   v1alpha1"), to: "\(dir)/s.ext")
        let r = Run.extc(["check", "\(dir)/s.ext"])
        #expect(r.stderr.contains("did you mean `versions`?") && !r.stderr.contains("has no `versions`"), "\(r.stderr)")
    }

    @Test("--diagnostics github prints workflow commands with file, line and column")
    func githubAnnotations() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        Paths.write("apiserver x {\n  grup x.example.com\n}\n", to: "\(dir)/s.ext")
        let r = Run.extc(["check", "\(dir)/s.ext", "--diagnostics", "github"])
        let line = try #require(r.stderr.split(separator: "\n").first { $0.contains("E0101") })
        #expect(line.hasPrefix("::error file=\(dir)/s.ext,line=2,col=3,endLine=2,endColumn=7,title=extc E0101::unknown field `grup`"))
        #expect(line.contains("%0Ahelp%3A") == false && line.contains("%0Ahelp: did you mean `group`?"))
    }

    @Test("`-` reads standard input: fmt for editors, check and build with --stdin-filename")
    func standardInput() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let messy = "apiserver  x {\n group   x.example.com\n}\n"
        #expect(Run.extc(["fmt", "-"], stdin: messy).stdout == "apiserver x {\n  group x.example.com\n}\n")
        #expect(Run.extc(["fmt", "--write", "-"], stdin: messy).status == 64)
        let checked = Run.extc(["check", "-", "--stdin-filename", "specs/x.ext"], stdin: messy)
        #expect(checked.status == 1 && checked.stderr.contains("specs/x.ext:1:1: error[E0103]"))
        let built = Run.extc(["build", "-", "--stdin-filename", "specs/min.ext", "--no-secrets"], cwd: dir, stdin: Paths.read("\(Paths.samples)/minimal.ext"))
        #expect(built.status == 0 && built.stdout.contains("kind: APIService"))
        #expect(FileManager.default.fileExists(atPath: "\(dir)/specs/.extc/hello/ca.key"), "state beside the named spec")
    }

    @Test("CLI conventions: did-you-mean for commands, --version names the C libraries, clear messages for paths")
    func conventions() throws {
        let typo = Run.extc(["biuld", "x.ext"])
        #expect(typo.status == 64 && typo.stderr.contains("did you mean `build`?"))
        let version = Run.extc(["--version"])
        #expect(version.status == 0 && version.stdout.hasPrefix("extc ") && version.stdout.contains("OpenSSL") && version.stdout.contains("libyaml"))
        // The commit it was built from: HEAD's (a prefix of it), as the build plugin stamped it.
        let stamped = try #require(version.stdout.firstMatch(of: /commit ([0-9a-f]{7,40}|unknown)(-dirty)?;/), "\(version.stdout)")
        let head = Run.program("/usr/bin/git", ["-C", Paths.packageRoot, "rev-parse", "HEAD"]).stdout
        if head.count >= 40 { #expect(head.hasPrefix(String(stamped.1)), "stamped \(stamped.1), HEAD \(head)") }
        for command in ["build", "watch", "explain"] {
            let after = Run.extc([command, "--version"])
            #expect(after.status == 0 && after.stdout == version.stdout, "\(command) --version: \(after.stdout)")
        }
        let watchHelp = Run.extc(["watch", "--help"]).stdout
        #expect(!watchHelp.contains("--stdin-filename") && Run.extc(["build", "--help"]).stdout.contains("--stdin-filename"),
                "watch cannot read standard input, so it offers no name for it")
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let intoDirectory = Run.extc(["build", wardle, "--state", "\(dir)/state", "-o", dir])
        #expect(intoDirectory.status == 74 && intoDirectory.stderr.contains("use `--out-dir \(dir)`"), "\(intoDirectory.stderr)")
        let missingDir = Run.extc(["build", wardle, "--state", "\(dir)/state", "-o", "\(dir)/no/such/out.yaml"])
        #expect(missingDir.status == 74 && missingDir.stderr.contains("the directory \(dir)/no/such does not exist"))
        let missing = Run.extc(["build", wardle, "--state", "\(dir)/state", "-o", "\(dir)/out.yaml", "--check"])
        #expect(missing.status == 2 && missing.stderr.contains("\(dir)/out.yaml is missing"))
    }

    @Test("init writes a checked, formatted starting spec that builds; never over a file; bad values are diagnostics")
    func initCommand() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let spec = "\(dir)/wardle.ext"
        let r = Run.extc(["init", "--group", "wardle.example.com", "--image", "registry.example.com/wardle:v0.1.0",
                          "--resource", "flunders", "--resource", "fischers", "--storage", "sidecar", "-o", spec])
        #expect(r.status == 0, "\(r.stderr)")
        Golden.check(Paths.read(spec), "init/wardle.ext.txt")
        #expect(Run.extc(["fmt", "--check", spec]).status == 0)
        #expect(Run.extc(["check", spec, "--deny", "warnings"]).status == 0)
        let built = Run.extc(["build", spec, "--no-secrets"])
        #expect(built.status == 0 && built.stdout.contains("name: v1alpha1.wardle.example.com") && built.stdout.contains("name: etcd"))
        #expect(Run.extc(["init", "--group", "x.example.com", "--image", "r.example.com/x:v1", "--resource", "xs", "-o", spec]).status == 64)
        let bad = Run.extc(["init", "--group", "nodot", "--image", "r.example.com/x:v1", "--resource", "xs"])
        #expect(bad.status == 1 && bad.stderr.contains("E0113") && bad.stdout.isEmpty)
    }

    @Test("inputs: globs in every component, `**`, and directories (their *.ext, recursively, hidden ones skipped)")
    func inputs() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        for f in ["x.ext", "a/y.ext", "a/b/z.ext", "c/w.ext", "c/notes.txt", ".extc/s/skip.ext"] { Paths.write("", to: "\(dir)/specs/\(f)") }
        func names(_ args: [String]) -> [String] { Inputs(args.map { "\(dir)/\($0)" }).paths().map { String($0.dropFirst(dir.count + 1)) } }
        #expect(names(["specs/*/*.ext"]) == ["specs/a/y.ext", "specs/c/w.ext"])
        #expect(names(["specs/**/*.ext"]) == ["specs/x.ext", "specs/a/y.ext", "specs/a/b/z.ext", "specs/c/w.ext"])
        #expect(names(["specs"]) == ["specs/a/b/z.ext", "specs/a/y.ext", "specs/c/w.ext", "specs/x.ext"])
        #expect(names(["specs/x.ext", "specs"]).count == 4, "each file once")
        #expect(names(["specs/*/nothing-*.ext"]).isEmpty)
    }

    @Test("fmt --diff of a CRLF file is a diff that patch applies, giving what fmt prints")
    func crlfDiff() throws {
        guard let patch = Run.which("patch") else { return }
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let spec = "\(dir)/crlf.ext"
        Paths.write("apiserver  x {\r\n group x.example.com\r\n}\r\n", to: spec)
        let diff = Run.extc(["fmt", "--diff", spec])
        #expect(diff.stdout.contains("@@ -1,3 +1,3 @@"), "\(diff.stdout)")
        let applied = Run.program(patch, ["-s", spec], stdin: diff.stdout)
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(Paths.read(spec) == "apiserver x {\n  group x.example.com\n}\n")
    }

    @Test("fmt: print, --check, --diff, --write")
    func fmt() {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let spec = "\(dir)/messy.ext"
        Paths.write("apiserver   x {\ngroup a.b # g\n}\n", to: spec)
        #expect(Run.extc(["fmt", spec]).stdout == "apiserver x {\n  group a.b # g\n}\n")
        let check = Run.extc(["fmt", "--check", spec])
        #expect(check.status == 2 && check.stdout == "\(spec)\n")
        let diff = Run.extc(["fmt", "--diff", spec])
        #expect(diff.status == 0 && diff.stdout.contains("-group a.b # g\n") && diff.stdout.contains("+  group a.b # g\n"))
        #expect(Run.extc(["fmt", "--diff", "--check", spec]).status == 2)
        #expect(Run.extc(["fmt", "--write", spec]).status == 0)
        #expect(Run.extc(["fmt", "--check", spec]).status == 0)
        #expect(Run.extc(["fmt", "--check"] + Paths.sampleFiles()).status == 0)
        Paths.write("apiserver x {\n", to: spec)
        let broken = Run.extc(["fmt", "--write", spec])
        #expect(broken.status == 1 && broken.stderr.contains("E0005") && broken.stderr.hasSuffix("\n1 error, 0 warnings\n"), "\(broken.stderr)")
        #expect(Paths.read(spec) == "apiserver x {\n", "a file with syntax errors is left alone")
    }

    @Test("explain prints the documentation of a code")
    func explain() {
        let r = Run.extc(["explain", "e0101"])
        #expect(r.status == 0 && r.stdout.hasPrefix("E0101 (error): unknown field"))
        let bad = Run.extc(["explain", "E0110x"])
        #expect(bad.status == 64 && bad.stderr.contains("did you mean E0110?"))
        #expect(Run.extc(["explain", "--list"]).stdout.split(separator: "\n").count == DiagnosticCode.allCases.count)
    }

    @Test("certs shows the stored material and rotates on request")
    func certs() throws {
        let state = Paths.temporaryDirectory()
        defer { Paths.cleanUp(state) }
        let empty = Run.extc(["certs", wardle, "--state", state])
        #expect(empty.status == 0 && empty.stdout.contains("nothing issued yet"))
        #expect(Run.extc(["build", wardle, "--state", state]).status == 0)
        let shown = Run.extc(["certs", wardle, "--state", state])
        #expect(shown.stdout.contains("DNS names   api, api.wardle, api.wardle.svc, api.wardle.svc.cluster.local"))
        #expect(shown.stdout.contains("key         ecdsa-p256") && shown.stdout.contains("sha256      "))
        #expect(!shown.stdout.contains("PRIVATE"))
        let ca = Paths.read("\(state)/wardle/ca.crt"), leaf = Paths.read("\(state)/wardle/tls.crt")
        #expect(Run.extc(["certs", wardle, "--state", state, "--rotate", "leaf"]).status == 0)
        #expect(Paths.read("\(state)/wardle/ca.crt") == ca && Paths.read("\(state)/wardle/tls.crt") != leaf)
    }

    @Test("check warns when a stored certificate is about to expire (W0005)")
    func expiryWarning() {
        let state = Paths.temporaryDirectory(), dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(state); Paths.cleanUp(dir) }
        let spec = "\(dir)/w.ext"
        Paths.write(Paths.read(wardle).replacingOccurrences(of: "validity 365d", with: "validity 20d\n    renew-before 15d"), to: spec)
        #expect(Run.extc(["build", spec, "--state", state]).status == 0)
        #expect(Run.extc(["check", spec, "--state", state]).stderr.isEmpty)
        // A longer validity and window: the stored leaf (20 days left) is now inside the window.
        Paths.write(Paths.read(spec).replacingOccurrences(of: "validity 20d", with: "validity 40d")
            .replacingOccurrences(of: "renew-before 15d", with: "renew-before 25d"), to: spec)
        let r = Run.extc(["check", spec, "--state", state])
        #expect(r.status == 0 && r.stderr.contains("warning[W0005]"))
    }
}
