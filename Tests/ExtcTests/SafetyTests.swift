import ExtcCerts
import ExtcEmit
import ExtcSyntax
import Foundation
import Testing

/// Where extc writes, under adversity, through the binary. Device nodes are private ones made
/// with mknod in a temp dir (as root, as CI runs); the machine's own /dev entries are never a target.
@Suite(.serialized)
struct SafetyTests {
    static let minimal = "\(Paths.samples)/minimal.ext"

    static func isCharacterDevice(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR
    }

    @Test("-o to a device node writes through it and leaves it a device")
    func device() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let node = "\(dir)/null"
        guard mknod(node, S_IFCHR | 0o666, dev_t(1 << 8 | 3)) == 0 else {  // makedev(1, 3): like /dev/null
            if Run.inCI { Issue.record("mknod failed (CI runs as root)") }
            return
        }
        let r = Run.extc(["build", Self.minimal, "--state", "\(dir)/state", "-o", node])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.isCharacterDevice(node), "the device node was replaced")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains("extc-tmp") }.isEmpty)
    }

    @Test("-o to a FIFO with a reader delivers the stream, never reads it back, and leaves the FIFO")
    func fifo() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let pipe = "\(dir)/pipe"
        #expect(mkfifo(pipe, 0o600) == 0)
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/bin/sh")
        reader.arguments = ["-c", "cat \"$0\" > \"$1\"", pipe, "\(dir)/received"]
        try reader.run()
        let r = Run.extc(["build", Self.minimal, "--state", "\(dir)/state", "-o", pipe], timeout: 20)
        reader.waitUntilExit()
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Paths.read("\(dir)/received").contains("kind: APIService"))
        var st = stat()
        #expect(lstat(pipe, &st) == 0 && (st.st_mode & S_IFMT) == S_IFIFO)
    }

    @Test("a symlink given to -o, fmt --write or --out-dir stays a link; its target is replaced")
    func symlinks() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        Paths.write("old\n", to: "\(dir)/real.yaml")
        #expect(symlink("real.yaml", "\(dir)/link.yaml") == 0)
        #expect(Run.extc(["build", Self.minimal, "--state", "\(dir)/state", "-o", "\(dir)/link.yaml"]).status == 0)
        var st = stat()
        #expect(lstat("\(dir)/link.yaml", &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK)
        #expect(Paths.read("\(dir)/real.yaml").contains("kind: APIService"))
        try FileManager.default.createDirectory(atPath: "\(dir)/realdir", withIntermediateDirectories: true)
        #expect(symlink("realdir", "\(dir)/linkdir") == 0)
        #expect(Run.extc(["build", Self.minimal, "--state", "\(dir)/state", "--out-dir", "\(dir)/linkdir"]).status == 0)
        #expect(lstat("\(dir)/linkdir", &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK)
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/realdir").contains { $0.hasSuffix("apiservice.v1alpha1.hello.example.com.yaml") })
        Paths.write("apiserver x {\n  group   x.example.com\n}\n", to: "\(dir)/spec-real.ext")
        #expect(symlink("spec-real.ext", "\(dir)/spec.ext") == 0)
        _ = Run.extc(["fmt", "--write", "\(dir)/spec.ext"])
        #expect(lstat("\(dir)/spec.ext", &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK)
        #expect(Paths.read("\(dir)/spec-real.ext") == "apiserver x {\n  group x.example.com\n}\n")
    }

    /// The refusals hold however the paths are spelt: relative or absolute, through `..`, and
    /// for directories not made yet; the default state (`.extc/` beside the spec) counts as much
    /// as `--state`. Nothing is written when a build is refused.
    @Test("extc refuses to write over its input spec, and state and output directories that overlap, however spelt",
          arguments: [
              ("spec.ext", nil), ("./x/../spec.ext", nil),  // -o over the spec
              ("deploy", "deploy/keys"), ("./deploy", "deploy/../deploy/st"), ("keys/out", "keys"),  // --out-dir and --state
              ("ABS/deploy", "ABS/deploy/keys"), ("ABS/deploy", "keys/../deploy/k"), (".", nil), ("ABS", nil),
          ] as [(String, String?)])
    func refusals(output: String, state: String?) throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        Paths.write(Paths.read(Self.minimal), to: "\(dir)/spec.ext")
        let out = output.replacingOccurrences(of: "ABS", with: dir)
        let overSpec = out.hasSuffix(".ext")
        let stateArgs = state.map { ["--state", $0.replacingOccurrences(of: "ABS", with: dir)] } ?? []
        let args = ["build", "spec.ext", overSpec ? "-o" : "--out-dir", out] + stateArgs
        let r = Run.extc(args, cwd: dir)
        #expect(r.status == 64, "\(args): \(r.stderr)")
        #expect(r.stderr.contains(overSpec ? "never writes over its input" : "overlap"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["spec.ext"], "a refused build wrote something")
        #expect(Paths.read("\(dir)/spec.ext") == Paths.read(Self.minimal))
    }

    @Test("directories that only share a prefix do not overlap")
    func siblingsBuild() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        Paths.write(Paths.read(Self.minimal), to: "\(dir)/spec.ext")
        let r = Run.extc(["build", "spec.ext", "--out-dir", "deploy", "--state", "deploy-keys"], cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
    }

    /// `watch` refuses what `build` does, on every build: a glob that comes to match the output
    /// (written by the first build) ends the watch too.
    @Test("watch refuses what build refuses and ends with 64")
    func watchRefusals() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        try FileManager.default.createDirectory(atPath: "\(dir)/specs", withIntermediateDirectories: true)
        Paths.write(Paths.read(Self.minimal), to: "\(dir)/specs/a.ext")
        for args in [["specs/a.ext", "-o", "specs/a.ext"], ["specs/a.ext", "--out-dir", "out", "--state", "out/st"],
                     ["specs/a.ext", "-o", "specs/a.ext", "--once"]] {
            let r = Run.extc(["watch"] + args, cwd: dir, timeout: 20)
            #expect(r.status == 64, "\(args): \(r.stderr)")
            #expect(Paths.read("\(dir)/specs/a.ext") == Paths.read(Self.minimal))
            #expect(!FileManager.default.fileExists(atPath: "\(dir)/out"))
        }
        let r = Run.extc(["watch", "specs/*.ext", "-o", "specs/all.ext", "--state", "st"], cwd: dir, timeout: 20)
        #expect(r.status == 64 && r.stderr.contains("-o specs/all.ext is the spec specs/all.ext"), "\(r.stderr)")
        #expect(Paths.read("\(dir)/specs/a.ext") == Paths.read(Self.minimal))
    }

    @Test("a build that produces nothing is an error and leaves the output as it was")
    func emptyBuild() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let spec = "\(dir)/spec.ext"
        Paths.write(Paths.read(Self.minimal), to: spec)
        #expect(Run.extc(["build", spec, "--out-dir", "\(dir)/deploy"]).status == 0)
        let before = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/deploy").sorted()
        Paths.write("", to: spec)
        let r = Run.extc(["build", spec, "--out-dir", "\(dir)/deploy"])
        #expect(r.status == 1 && r.stderr.contains("no apiserver"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/deploy").sorted() == before)
    }

    @Test("--check --diff names a file that holds keys and never shows it: one built, one no longer built, a stream")
    func diffHidesKeys() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let spec = "\(dir)/spec.ext", deploy = "\(dir)/deploy", state = "\(dir)/state"
        let one = Paths.read(Self.minimal)
        let two = one + "\n" + one.replacingOccurrences(of: "hello", with: "other")
        Paths.write(two, to: spec)
        #expect(Run.extc(["build", spec, "--state", state, "--out-dir", deploy]).status == 0)
        #expect(Run.extc(["build", spec, "--state", state, "-o", "\(dir)/all.yaml"]).status == 0)
        // Every key's PEM as the Secrets hold it (base64, one line), and as the file holds it.
        let keys = try FileManager.default.subpathsOfDirectory(atPath: state).filter { $0.hasSuffix(".key") }.map { Paths.read("\(state)/\($0)") }
        #expect(keys.count == 4)
        func leaks(_ text: String) -> Bool {
            keys.contains { k in text.contains(Data(k.utf8).base64EncodedString().prefix(60)) || text.contains(k.split(separator: "\n")[1]) }
        }
        #expect(leaks(Paths.read("\(dir)/all.yaml")), "the check below can fail: the output holds the keys")

        // The second server gone: its Secret's file is no longer built; the first's image changed.
        Paths.write(one.replacingOccurrences(of: "v0.1.0", with: "v0.2.0"), to: spec)
        let layout = Run.extc(["build", spec, "--state", state, "--out-dir", deploy, "--check", "--diff"])
        #expect(layout.status == 2 && layout.stdout.contains("(no longer built)") && layout.stdout.contains("+++ \(deploy)/12-deployment"), "\(layout.stdout)")
        #expect(layout.stdout.contains("+++ \(deploy)/05-secret.other.other-tls.yaml (no longer built)\n(holds private keys: not shown)"), "\(layout.stdout)")
        #expect(!leaks(layout.stdout), "\(layout.stdout)")
        let stream = Run.extc(["build", spec, "--state", state, "-o", "\(dir)/all.yaml", "--check", "--diff"])
        #expect(stream.status == 2 && stream.stdout.contains("(holds private keys: not shown)") && !leaks(stream.stdout), "\(stream.stdout)")
        // The stream on disk holds keys; the check builds without: the old side is never shown,
        // in either format, nor a Secret-holding file that someone made readable.
        for format in ["yaml", "json"] {
            let withKeys = "\(dir)/keys.\(format)"
            #expect(Run.extc(["build", spec, "--state", state, "-o", withKeys, "--format", format]).status == 0)
            for readable in [false, true] {
                if readable { chmod(withKeys, 0o644) }
                let checked = Run.extc(["build", spec, "--state", state, "-o", withKeys, "--format", format, "--no-secrets", "--check", "--diff"])
                #expect(checked.status == 2 && checked.stdout.contains("(holds private keys: not shown)") && !leaks(checked.stdout),
                        "\(format), readable \(readable): \(checked.stdout)")
            }
        }
        // A file that is not there yet is shown in full: there is no old side.
        let fresh = Run.extc(["build", spec, "--state", state, "-o", "\(dir)/new.yaml", "--no-secrets", "--check", "--diff"])
        #expect(fresh.status == 2 && fresh.stdout.contains("+kind: APIService"), "\(fresh.stdout)")
    }

    @Test("key files an earlier build left stay ignored by git after a build without Secrets moves to other names, layout or format",
          arguments: [["namespace", "other"], ["--layout", "kustomize"], ["--format", "json"]])
    func withheldStayIgnored(_ change: [String]) throws {
        let git = try #require(Run.which("git"))
        let repo = Paths.temporaryDirectory()
        defer { Paths.cleanUp(repo) }
        #expect(Run.program(git, ["init", "-q", repo]).status == 0)
        let spec = "\(repo)/spec.ext"
        Paths.write(Paths.read(Self.minimal), to: spec)
        #expect(Run.extc(["build", spec, "--layout", "dir", "-o", "\(repo)/deploy"]).status == 0)
        var args = ["build", spec, "--no-secrets", "-o", "\(repo)/deploy"]
        if change[0] == "namespace" {
            Paths.write(Paths.read(Self.minimal).replacingOccurrences(of: "namespace hello", with: "namespace other"), to: spec)
            args += ["--layout", "dir"]
        } else {
            args += change + (change[0] == "--layout" ? [] : ["--layout", "dir"])
        }
        let r = Run.extc(args)
        #expect(r.status == 0, "\(r.stderr)")
        let status = Run.program(git, ["-C", repo, "status", "--porcelain", "--untracked-files=all"]).stdout
        let untracked = status.split(separator: "\n").filter { $0.hasPrefix("??") }
        #expect(!untracked.isEmpty && !untracked.contains { $0.contains("secret") }, "\(status)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(repo)/deploy").contains("05-secret.hello.hello-tls.yaml"),
                "the earlier Secret file is still there (a build without Secrets leaves key files alone)")
    }

    @Test("a FIFO where a recorded file was is removed, or named by --check --diff, without being opened")
    func fifoInLayout() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let spec = "\(dir)/spec.ext", deploy = "\(dir)/deploy"
        Paths.write(Paths.read(Self.minimal), to: spec)
        #expect(Run.extc(["build", spec, "--out-dir", deploy, "--no-secrets"]).status == 0)
        let service = try #require(try FileManager.default.contentsOfDirectory(atPath: deploy).first { $0.hasPrefix("09-service.") })
        try FileManager.default.removeItem(atPath: "\(deploy)/\(service)")
        #expect(mkfifo("\(deploy)/\(service)", 0o644) == 0)
        Paths.write(Paths.read(Self.minimal).replacingOccurrences(of: "service   hello", with: "service   renamed"), to: spec)
        let shown = Run.extc(["build", spec, "--out-dir", deploy, "--no-secrets", "--check", "--diff"], timeout: 20)
        #expect(shown.status == 2 && shown.stdout.contains("+++ \(deploy)/\(service) (no longer built)\n(holds private keys: not shown)"),
                "\(shown.stdout)")
        let built = Run.extc(["build", spec, "--out-dir", deploy, "--no-secrets"], timeout: 20)
        #expect(built.status == 0 && FileIO.kind("\(deploy)/\(service)") == nil, "\(built.stderr)")
    }

    @Test("a file holding a private key is never read as a spec, nor quoted: check, fmt, build, diff, and standard input")
    func keyAsSpec() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        #expect(Run.extc(["build", Self.minimal, "--state", "\(dir)/state", "-o", "\(dir)/out.yaml"]).status == 0)
        let key = "\(dir)/state/hello/ca.key"
        let body = String(Paths.read(key).split(separator: "\n")[1].prefix(24))
        let pasted = "\(dir)/pasted.ext"
        Paths.write(Paths.read(Self.minimal) + "# " + Paths.read(key).replacingOccurrences(of: "\n", with: "\n# "), to: pasted)
        for args in [["check", key], ["fmt", key], ["fmt", "--diff", pasted], ["build", pasted, "--no-secrets"], ["check", pasted, "--diagnostics", "json"]] {
            let r = Run.extc(args)
            #expect(r.status == 74 && r.stderr.contains("holds a private key"), "\(args): \(r.stderr)")
            #expect(!(r.stdout + r.stderr).contains(body), "\(args) showed the key")
        }
        let piped = Run.extc(["fmt", "-"], stdin: Paths.read(key))
        #expect(piped.status == 74 && !(piped.stdout + piped.stderr).contains(body), "\(piped.stderr)")
    }

    @Test("--out-dir removes only files extc wrote there, and keeps its owner's .gitignore")
    func ownership() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let deploy = "\(dir)/deploy"
        Paths.write("# mine\n", to: "\(deploy)/12-foo.bar.yaml")
        Paths.write("*.bak\n", to: "\(deploy)/.gitignore")
        #expect(Run.extc(["build", Self.minimal, "--state", "\(dir)/state", "--out-dir", deploy]).status == 0)
        #expect(Run.extc(["build", Self.minimal, "--state", "\(dir)/state", "--out-dir", deploy]).status == 0)
        #expect(Paths.read("\(deploy)/12-foo.bar.yaml") == "# mine\n", "a hand-written file matching the pattern survives")
        let ignore = Paths.read("\(deploy)/.gitignore")
        #expect(ignore.hasPrefix("*.bak\n") && ignore.contains("/05-secret.*\n"))
    }

    @Test("write errors fail the run: /dev/full as stdout is 74")
    func writeErrors() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        for args in [["build", Self.minimal, "--state", "\(dir)/state"], ["fmt", Self.minimal], ["certs", Self.minimal, "--state", "\(dir)/state"]] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Paths.extc)
            p.arguments = args
            p.standardOutput = FileHandle(forWritingAtPath: "/dev/full")
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            #expect(p.terminationStatus == 74, "\(args[0]) to /dev/full exited \(p.terminationStatus)")
        }
    }

    /// A reader that went away is a write error like any other, even for a parent that leaves
    @Test("private keys go to no terminal (a pty of the test's own) and to no FIFO others may open, on -o or stdout")
    func keysStayPrivate() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let state = "\(dir)/state"
        // A FIFO others may open: refused before a byte is written (and before waiting for a reader).
        let fifo = "\(dir)/fifo"
        #expect(mkfifo(fifo, 0o644) == 0 && chmod(fifo, 0o644) == 0)
        let refused = Run.extc(["build", Self.minimal, "--state", state, "-o", fifo], timeout: 20)
        #expect(refused.status == 74 && refused.stderr.contains("is a FIFO that others may open (mode 644, owner uid"), "\(refused.stderr)")
        let redirected = Run.program("/bin/sh", ["-c", "cat \"$0\" > \"$1\" & exec \"$2\" build \"$3\" --state \"$4\" > \"$0\"",
                                                 fifo, "\(dir)/received", Paths.extc, Self.minimal, state])
        #expect(redirected.status == 74 && redirected.stderr.contains("FIFO others can read"), "\(redirected.stderr)")
        #expect(!Paths.read("\(dir)/received").contains("kind:"), "nothing went through")
        // Without keys, the same FIFO takes the stream.
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/bin/sh")
        reader.arguments = ["-c", "cat \"$0\" > \"$1\"", fifo, "\(dir)/public"]
        try reader.run()
        #expect(Run.extc(["build", Self.minimal, "--state", state, "-o", fifo, "--no-secrets"], timeout: 20).status == 0)
        reader.waitUntilExit()
        #expect(Paths.read("\(dir)/public").contains("kind: APIService"))

        if getuid() == 0 {  // as CI runs: a FIFO and a pipe that belong to another user
            let theirs = "\(dir)/theirs"
            #expect(mkfifo(theirs, 0o600) == 0 && chown(theirs, 65534, 65534) == 0)
            let owned = Run.extc(["build", Self.minimal, "--state", state, "-o", theirs], timeout: 20)
            #expect(owned.status == 74 && owned.stderr.contains("owner uid 65534"), "a 0600 FIFO of another user's: \(owned.stderr)")
            // A pipe is the shell's, whoever owns it (`sudo extc build | kubectl apply -f -`).
            let pipe = Pipe()
            #expect(fchown(pipe.fileHandleForWriting.fileDescriptor, 65534, 65534) == 0)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Paths.extc)
            p.arguments = ["build", Self.minimal, "--state", state]
            (p.standardOutput, p.standardError) = (pipe, FileHandle.nullDevice)
            try p.run()
            let received = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0 && received.contains("kind: Secret"), "a pipe of another user's carries the keys")
        }

        // A terminal: the other end of a pty this test opens. Its /dev/pts node is the target: a
        // node made here with its numbers does not open (devpts checks where the node lives), and
        // devpts itself takes no new file or rename, so extc could not replace it even in error.
        // posix_openpt's work by hand (Swift sees neither it nor the ioctl macros): the asm-generic
        // numbers of TIOCSPTLCK (unlock) and TIOCGPTN (the pty's number).
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        guard master >= 0 else {  // a container without ptys: the terminal half cannot run there
            Issue.record("no pty (/dev/ptmx: \(String(cString: strerror(errno)))): the terminal refusal went unchecked")
            return
        }
        defer { close(master) }
        var unlock: Int32 = 0, number: UInt32 = 0
        try #require(ioctl(master, 0x4004_5431, &unlock) == 0 && ioctl(master, 0x8004_5430, &number) == 0)
        let tty = "/dev/pts/\(number)"
        let onTerminal = Run.extc(["build", Self.minimal, "--state", state, "-o", tty])
        #expect(onTerminal.status == 74 && onTerminal.stderr.contains("is a terminal"), "\(onTerminal.stderr)")
        _ = fcntl(master, F_SETFL, O_NONBLOCK)
        var byte: UInt8 = 0
        #expect(read(master, &byte, 1) < 0, "nothing reached the terminal")
        #expect(Run.extc(["build", Self.minimal, "--state", state, "-o", tty, "--no-secrets"]).status == 0)
    }

    /// SIGPIPE at its default (as shells do): the child here gets SIGPIPE's default action (as
    /// extc starts `git`) and a pipe whose read end is closed.
    @Test("a closed pipe on stdout is 74 with a message, not death by SIGPIPE")
    func closedPipe() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        close(fds[0])
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "\(dir)/stderr", O_WRONLY | O_CREAT, 0o600)
        #expect(Spawn.restored.contains(SIGPIPE))
        let args: [String] = [Paths.extc, "build", Self.minimal, "--state", "\(dir)/state"]
        let argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        try #require(Spawn.withAttributes { posix_spawn(&pid, Paths.extc, &actions, $0, argv, environ) } == 0)
        close(fds[1])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        #expect(status & 0x7f == 0, "killed by signal \(status & 0x7f)")
        #expect((status >> 8) & 0xff == 74)
        #expect(Paths.read("\(dir)/stderr").contains("error: standard output: cannot write: Broken pipe"))
    }

    @Test("a shell redirect that others could read is made 0600 before the Secret goes in")
    func redirect() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let out = "\(dir)/manifests.yaml"
        #expect(FileManager.default.createFile(atPath: out, contents: nil, attributes: [.posixPermissions: 0o644]))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Paths.extc)
        p.arguments = ["build", Self.minimal, "--state", "\(dir)/state"]
        p.standardOutput = FileHandle(forWritingAtPath: out)
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(Paths.read(out).contains("tls.key:") && FileIO.mode(of: out) == 0o600)
    }

    @Test("concurrent fresh builds agree on one CA: every output is byte for byte the same")
    func concurrentBuilds() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let runs = 6
        let statuses = Statuses(runs)
        DispatchQueue.concurrentPerform(iterations: runs) { i in
            statuses.set(i, Run.extc(["build", Self.minimal, "--state", "\(dir)/state", "-o", "\(dir)/out-\(i).yaml"]).status)
        }
        #expect(statuses.all.allSatisfy { $0 == 0 }, "\(statuses.all)")
        let bundles = try (0..<runs).map { i -> String in
            let docs = try YAMLReader.read(Paths.read("\(dir)/out-\(i).yaml"))
            return docs.first { $0["kind"] == "APIService" }?.at("spec.caBundle")?.stringValue ?? ""
        }
        #expect(Set(bundles).count == 1 && !bundles[0].isEmpty, "\(Set(bundles).count) different CAs")
        // Each output's serving certificate is signed by the CA its caBundle publishes.
        for i in 0..<runs {
            let docs = try YAMLReader.read(Paths.read("\(dir)/out-\(i).yaml"))
            let secret = try #require(docs.first { $0["kind"] == "Secret" && $0.at("type") == "kubernetes.io/tls" })
            let decode = { (s: String?) in String(decoding: Data(base64Encoded: s ?? "") ?? Data(), as: UTF8.self) }
            let leaf = try Certificate.parse(pem: decode(secret.at("data")?["tls.crt"]?.stringValue))
            let ca = try Certificate.parse(pem: decode(bundles[i]))
            #expect(CertificateInfo.isSigned(leaf, by: ca), "output \(i): the leaf is not signed by the published CA")
        }
        #expect(Set((0..<runs).map { Paths.read("\(dir)/out-\($0).yaml") }).count == 1, "byte-identical outputs")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains("extc-tmp") }.isEmpty)
    }

    @Test("a full disk (a private tmpfs) fails with 74, keeps the previous output (file or layout) whole and leaves nothing behind")
    func diskFull() throws {
        guard let unshare = Run.which("unshare") else { if Run.inCI { Issue.record("unshare is missing") }; return }
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let state = "\(dir)/state", disk = "\(dir)/disk"
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        // In a private mount namespace: a one-page tmpfs holds the small previous output, not the new one.
        let script = """
            mount -t tmpfs -o size=4k tmpfs "$1" || exit 99
            printf 'previous\\n' > "$1/out.yaml"
            "$2" build "$3" --state "$4" -o "$1/out.yaml"; code=$?
            cat "$1/out.yaml"; ls -a "$1"
            rm "$1/out.yaml"; mkdir "$1/deploy" && printf 'kept\n' > "$1/deploy/NOTES.md" || exit 98
            "$2" build "$3" --state "$4" --layout kustomize -o "$1/deploy" 2>&1; echo "layout=$?"
            ls -a "$1" "$1/deploy"
            exit $code
            """
        let r = Run.program(unshare, ["-m", "sh", "-c", script, "sh", disk, Paths.extc, Self.minimal, state], timeout: 60)
        if r.status == 99, !Run.inCI { return }  // no CAP_SYS_ADMIN here
        #expect(r.status == 74, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("out.yaml") && r.stdout.hasPrefix("previous\n"), "\(r.stdout)\(r.stderr)")
        #expect(!r.stdout.contains("extc-tmp"), "a temporary file was left: \(r.stdout)")
        // A layout that does not fit: 74, the directory as it was, no staging directory left.
        #expect(r.stdout.contains("layout=74"), "\(r.stdout)")
        #expect(!r.stdout.contains("extc-new") && !r.stdout.contains("kustomization.yaml") && r.stdout.contains("NOTES.md"), "\(r.stdout)")
    }

    @Test("bad input is bounded in time and memory: a device or an oversized spec is refused; 200,000 errors on one line print a screenful")
    func boundedInput() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let zero = "\(dir)/zero.ext"
        if mknod(zero, S_IFCHR | 0o666, dev_t(1 << 8 | 5)) == 0 {  // like /dev/zero
            let r = Run.extc(["check", zero], timeout: 10)
            #expect(r.status == 74 && r.stderr.contains("is not a regular file"), "\(r.stderr.prefix(300))")
        } else if Run.inCI { Issue.record("mknod failed (CI runs as root)") }
        // A spec over the 64 MiB limit (sparse, so cheap to make) is refused before it is read.
        let huge = "\(dir)/huge.ext"
        #expect(FileManager.default.createFile(atPath: huge, contents: nil) && truncate(huge, 65 << 20) == 0)
        let big = Self.bounded(["check", huge], dataMiB: 64)
        #expect(big.status == 74 && big.stderr.contains("at most 67108864"), "\(big.stderr.prefix(300))")
        let line = "apiserver x { " + String(repeating: "} ", count: 200_000)
        Paths.write(line + "\n", to: "\(dir)/errors.ext")
        let started = Date()
        // Memory too: under a 256 MiB data limit (prlimit) the run ends with its diagnostics, not an abort.
        let r = Self.bounded(["check", "\(dir)/errors.ext"], dataMiB: 256)
        #expect(r.status == 1, "\(r.stderr.suffix(300))")
        #expect(Date().timeIntervalSince(started) < 20, "took \(Date().timeIntervalSince(started)) s")
        #expect(r.stderr.utf8.count < 64 * 1024, "\(r.stderr.utf8.count) bytes of diagnostics")
        #expect(r.stderr.contains("more diagnostics not shown") && r.stderr.contains("…"))
    }

    /// extc under a data-segment limit (RLIMIT_DATA, which covers malloc's mmaps) when prlimit is
    /// here (CI installs util-linux), else unbounded.
    static func bounded(_ args: [String], dataMiB: Int) -> Finished {
        guard let prlimit = Run.which("prlimit") else {
            if Run.inCI { Issue.record("prlimit is missing") }
            return Run.extc(args, timeout: 30)
        }
        return Run.program(prlimit, ["--data=\(dataMiB << 20)", Paths.extc] + args, timeout: 30)
    }

    @Test("a temporary file a killed build left, and a killed watch's stream directory, are swept by the next build; core dumps are off while keys are in memory")
    func leftovers() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let stale = "\(dir)/.out.yaml.extc-tmp-0123456789abcdef"
        Paths.write("-----BEGIN PRIVATE KEY-----\n", to: stale)
        // A watch's stream directory (`RecycledFile`): a killed one's, and a live one's (young).
        let killed = "\(dir)/.out.yaml.extc-new-0123456789abcdef", live = "\(dir)/.out.yaml.extc-new-fedcba9876543210"
        for d in [killed, live] {
            try FileIO.makeDirectory(d, mode: 0o700)
            Paths.write("*\n", to: "\(d)/.gitignore")
            Paths.write("-----BEGIN PRIVATE KEY-----\n", to: "\(d)/.stream.extc-tmp-0123456789abcdef")
        }
        var old = [timespec(tv_sec: time(nil) - 600, tv_nsec: 0), timespec(tv_sec: time(nil) - 600, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, stale, &old, 0) == 0)
        #expect(utimensat(AT_FDCWD, killed, &old, 0) == 0)
        #expect(Run.extc(["build", Self.minimal, "--state", "\(dir)/state", "-o", "\(dir)/out.yaml"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(!FileManager.default.fileExists(atPath: killed))
        #expect(FileManager.default.fileExists(atPath: "\(live)/.stream.extc-tmp-0123456789abcdef"))
        let watch = try WatchSession(spec: Paths.read(Self.minimal))
        #expect(watch.waitForRebuilds(1))
        let limits = Paths.read("/proc/\(watch.process.processIdentifier)/limits")
        let core = limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") } ?? ""
        #expect(core.split(separator: " ", omittingEmptySubsequences: true).dropFirst(4).prefix(2).allSatisfy { $0 == "0" }, "\(core)")
    }
}

final class Statuses: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int32]
    init(_ n: Int) { values = Array(repeating: -1, count: n) }
    func set(_ i: Int, _ v: Int32) { lock.lock(); values[i] = v; lock.unlock() }
    var all: [Int32] { lock.lock(); defer { lock.unlock() }; return values }
}
