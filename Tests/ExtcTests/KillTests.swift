import ExtcCerts
import ExtcEmit
import ExtcSyntax
import Foundation
import Testing

/// Builds killed with SIGKILL at random instants, across fresh, warm, renewing and layout
/// builds. After each kill: every stored key matches its certificate and every leaf is signed by
/// its CA; the output is the old one or a new one, whole; the next build succeeds and leaves no
/// temporary file beside its output. Seeded, so a failure can be replayed.
@Suite(.serialized)
struct KillTests {
    struct Step: CustomStringConvertible {
        let kind: String
        let delayMicros: UInt32
        var description: String { "\(kind) killed after \(delayMicros) µs" }
    }

    @Test("200 random SIGKILLs leave consistent state and whole output", .timeLimit(.minutes(10)))
    func killLoop() throws {
        let dir = Paths.temporaryDirectory("extc-kill")
        defer { Paths.cleanUp(dir) }
        let spec = "\(dir)/spec.ext", state = "\(dir)/state", out = "\(dir)/out.yaml", deploy = "\(dir)/deploy"
        let base = Paths.read("\(Paths.samples)/wardle.ext")
        var random = FuzzTests.RNG(x: 0x6B11_1A55)
        var kills = 0
        // Kill instants fall within each kind's own run time on this machine (a faster build
        // must not leave the loop killing nothing): a fresh build timed once, and a warm one for
        // the kinds that mostly reuse state (renewing and layout builds do a little more). The
        // fastest of three runs each: one slow moment of the disk must not set every delay. Timed
        // as `killed` sees a build (spawned, waited for), not through `Run`, whose polling adds
        // up to 2 ms: a few ms too long, half the delays fell after a warm build had ended.
        Paths.write(base, to: spec)
        let timed = ["build", spec, "--state", state, "-o", out]
        let freshMicros = try (0..<3).map { _ in
            Paths.cleanUp(state)
            return try Self.runMicros(timed)
        }.min()!
        let warmMicros = try (0..<3).map { _ in try Self.runMicros(timed) }.min()! * 3 / 2
        // Each kind's limit, lowered to any delay its build finished within: one calibrated at a
        // moment of load (the suites run side by side) must not leave later delays past the end.
        var limit = ["fresh": freshMicros, "warm": warmMicros, "renew": warmMicros, "layout": warmMicros]
        for i in 0..<200 {
            let kind = ["fresh", "warm", "renew", "layout"][i % 4]
            switch kind {
            case "fresh": Paths.cleanUp(state)
            case "renew": Paths.write(base.replacingOccurrences(of: "service   api", with: "service   api\(i % 7)"), to: spec)
            // Each layout build changes the set (Service, APIServices, serving Secret), so a kill
            // mid-write could show a mix.
            case "layout": Paths.write(base.replacingOccurrences(of: "service   api", with: "service   lay\(i % 8)"), to: spec)
            default: break
            }
            if kind == "fresh" || kind == "warm" { Paths.write(base, to: spec) }
            let args = kind == "layout" ? ["build", spec, "--state", state, "--layout", "kustomize", "-o", deploy]
                : ["build", spec, "--state", state, "-o", out]
            let before = Paths.read(out)
            let step = Step(kind: kind, delayMicros: UInt32(random.next() % limit[kind]!))
            if try Self.killed(args, after: step.delayMicros) { kills += 1 } else { limit[kind] = max(1, UInt64(step.delayMicros)) }
            try Self.checkState(state, step, strict: false)
            if kind == "layout", let files = LayoutSet.read(deploy) {
                #expect(LayoutSet.inconsistency(files) == nil, "\(step): the layout is a mix")
            }
            let now = Paths.read(out)
            if now != before, !now.isEmpty {
                let docs = try YAMLReader.read(now)
                #expect(docs.last?["kind"] == "APIService", "\(step): a partial output file")
            }
            let again = Run.extc(args)
            #expect(again.status == 0, "\(step): the next build failed: \(again.stderr)")
            try Self.checkState(state, step, strict: true)
        }
        #expect(kills > 100, "only \(kills) builds were still running when killed; the delays are too long")
        // A killed layout build may leave its staging directory (removed by a build a minute
        // later): it is private to root while it is filled, and its keys are 0600 in a 0700 secrets/.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where name.contains("extc-new") {
            let secrets = "\(dir)/\(name)/secrets"
            #expect(FileIO.mode(of: "\(dir)/\(name)") == 0o700 || FileIO.mode(of: secrets) ?? 0o700 == 0o700, "\(name) is open to others")
            for f in (try? FileManager.default.contentsOfDirectory(atPath: secrets)) ?? [] {
                #expect(FileIO.mode(of: "\(secrets)/\(f)") == 0o600, "\(name)/secrets/\(f) holds a key")
            }
        }
        for place in [dir, deploy, "\(deploy)/secrets"] {
            let left = ((try? FileManager.default.contentsOfDirectory(atPath: place)) ?? []).filter { $0.contains("extc-tmp") }
            // A kill's temporary file is swept by the next write to the same file once it is a minute old;
            // younger ones may remain, but one that holds key material is always 0600 (it is created so,
            // and a key file's final mode is 0600 too).
            for name in left {
                let text = Paths.read("\(place)/\(name)")
                if text.contains("PRIVATE KEY") || text.contains("tls.key:") {
                    #expect(FileIO.mode(of: "\(place)/\(name)") == 0o600, "\(place)/\(name) holds a key")
                }
            }
        }
    }

    /// The worst instants, made deterministic: strace kills the build at the Nth call of one
    /// syscall that commits something (a rename, the layout exchange, a hard link, an fsync, an
    /// unlink, a mkdir), for every N the build reaches, in a fresh build and in a renewing one
    /// that republishes a layout. After each kill and after the next build, as in the loop above.
    @Test("strace kills builds at every commit point in turn", .timeLimit(.minutes(10)))
    func killAtEveryCommitPoint() throws {
        guard let strace = Run.which("strace") else { if Run.inCI { Issue.record("strace is missing") }; return }
        let dir = Paths.temporaryDirectory("extc-strace")
        defer { Paths.cleanUp(dir) }
        let spec = "\(dir)/spec.ext", state = "\(dir)/state", deploy = "\(dir)/deploy"
        let base = Paths.read("\(Paths.samples)/wardle.ext"), renewed = base.replacingOccurrences(of: "service   api", with: "service   api2")
        let build = ["build", spec, "--state", state, "--layout", "kustomize", "-o", deploy]
        // The renewing scenario starts from a completed build of `base`, kept aside and copied back.
        Paths.write(base, to: spec)
        #expect(Run.extc(build + []).status == 0)
        let pristine = "\(dir)/pristine"
        #expect(Run.program("/bin/cp", ["-a", state, "\(pristine)-state"]).status == 0)
        #expect(Run.program("/bin/cp", ["-a", deploy, "\(pristine)-deploy"]).status == 0)
        var kills = 0
        for scenario in ["fresh", "renew"] {
            for call in ["rename", "renameat2", "link", "linkat", "fsync", "unlink", "unlinkat", "rmdir", "mkdir"] {
                for n in 1...120 {
                    Paths.cleanUp(state); Paths.cleanUp(deploy)
                    if scenario == "renew" {
                        _ = Run.program("/bin/cp", ["-a", "\(pristine)-state", state])
                        _ = Run.program("/bin/cp", ["-a", "\(pristine)-deploy", deploy])
                    }
                    Paths.write(scenario == "renew" ? renewed : base, to: spec)
                    let step = Step(kind: "\(scenario) killed at \(call) #\(n)", delayMicros: 0)
                    let r = Run.program(strace, ["-f", "-qq", "-o", "\(dir)/strace.log", "-e", "trace=\(call)",
                                                 "-e", "inject=\(call):signal=KILL:when=\(n)", Paths.extc] + build, timeout: 60)
                    guard r.status == SIGKILL else {
                        #expect(r.status == 0, "\(step): \(r.stderr)")
                        break  // the build got past its last such call
                    }
                    kills += 1
                    Self.checkStaging(dir, step)
                    try Self.checkState(state, step, strict: false)
                    if let files = LayoutSet.read(deploy) { #expect(LayoutSet.inconsistency(files) == nil, "\(step): the layout is a mix") }
                    let again = Run.extc(build)
                    #expect(again.status == 0, "\(step): the next build failed: \(again.stderr)")
                    try Self.checkState(state, step, strict: true)
                    let files = try #require(LayoutSet.read(deploy))
                    #expect(LayoutSet.inconsistency(files) == nil, "\(step): the layout is a mix after the next build")
                    #expect(files.keys.contains(scenario == "renew" ? "09-service.wardle.api2.yaml" : "09-service.wardle.api.yaml"), "\(step)")
                }
            }
        }
        #expect(kills > 60, "only \(kills) kills: strace did not inject")
    }

    /// Runs extc with `args` and SIGKILLs it `micros` later; whether it was still running then.
    /// How long `body` takes, in microseconds (at least 1).
    static func micros(_ body: () throws -> Void) rethrows -> UInt64 {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return max(1, (DispatchTime.now().uptimeNanoseconds - start) / 1000)
    }

    /// How long a build takes from its spawn to its exit, in µs.
    static func runMicros(_ args: [String]) throws -> UInt64 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Paths.extc)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        return try micros {
            try p.run()
            p.waitUntilExit()
        }
    }

    static func killed(_ args: [String], after micros: UInt32) throws -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Paths.extc)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        usleep(micros)
        let running = p.isRunning
        if running { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        return running
    }

    /// What SIGKILL leaves of a layout being made: a staging directory whose `.gitignore` (written
    /// first) covers every Secret in it, so `git add -A` would not take a key.
    static func checkStaging(_ dir: String, _ step: Step) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where name.contains(".extc-new-") {
            let staging = "\(dir)/\(name)"
            let secrets = ((try? FileManager.default.subpathsOfDirectory(atPath: staging)) ?? []).filter { $0.contains("05-secret.") }
            guard !secrets.isEmpty else { continue }
            let ignore = Paths.read("\(staging)/.gitignore")
            #expect(secrets.allSatisfy { s in ignore.contains("/\(s)") || ignore.contains("/secrets/") }, "\(step): \(name) holds Secrets git would take: \(secrets) with .gitignore \(ignore)")
        }
    }

    /// SIGINT at each fsync of a layout build: the handler removes the staging directory and every
    /// temporary file, so nothing is left beside the output or in it.
    @Test("SIGINT at every fsync of a layout build leaves nothing behind")
    func interruptAtEveryFsync() throws {
        guard let strace = Run.which("strace") else { if Run.inCI { Issue.record("strace is missing") }; return }
        let dir = Paths.temporaryDirectory("extc-sigint")
        defer { Paths.cleanUp(dir) }
        let state = "\(dir)/state", deploy = "\(dir)/deploy"
        var interrupted = 0
        for n in 1...80 {
            Paths.cleanUp(state); Paths.cleanUp(deploy)
            let r = Run.program(strace, ["-f", "-qq", "-o", "\(dir)/strace.log", "-e", "trace=fsync", "-e", "inject=fsync:signal=INT:when=\(n)",
                                         Paths.extc, "build", SafetyTests.minimal, "--state", state, "--layout", "kustomize", "-o", deploy])
            // strace passes the tracee's death on as its own, or (for a signal it handles) as 128+signal.
            guard r.status == SIGINT || r.status == 128 + SIGINT else { #expect(r.status == 0, "fsync #\(n): \(r.stderr)"); break }
            interrupted += 1
            let left = ((try? FileManager.default.subpathsOfDirectory(atPath: dir)) ?? []).filter { $0.contains("extc-new") || $0.contains("extc-tmp") }
            #expect(left.isEmpty, "SIGINT at fsync #\(n) left \(left)")
            if let files = LayoutSet.read(deploy) { #expect(files["kustomization.yaml"] != nil, "fsync #\(n): a partial layout") }
        }
        #expect(interrupted > 5, "only \(interrupted) interrupts")
    }

    /// RSA-4096 keys take seconds to make, which widens the window a kill can land in while a
    /// key and its certificate are written: 40 kills spread over fresh and renewing builds.
    @Test("40 random SIGKILLs during RSA-4096 issuance leave matching pairs", .timeLimit(.minutes(10)))
    func killDuringRSAIssuance() throws {
        let dir = Paths.temporaryDirectory("extc-kill-rsa")
        defer { Paths.cleanUp(dir) }
        let spec = "\(dir)/spec.ext", state = "\(dir)/state", out = "\(dir)/out.yaml"
        let base = Paths.read(SafetyTests.minimal).replacingOccurrences(of: "\n}", with: "\n  certs { key rsa-4096 }\n}")
        var random = FuzzTests.RNG(x: 0x45A4_0960)
        var kills = 0
        for i in 0..<40 {
            let fresh = i % 2 == 0
            if fresh { Paths.cleanUp(state) }
            Paths.write(fresh ? base : base.replacingOccurrences(of: "service   hello", with: "service   hello\(i % 5)"), to: spec)
            let step = Step(kind: fresh ? "rsa fresh" : "rsa renew", delayMicros: UInt32(random.next() % 2_500_000))
            if try Self.killed(["build", spec, "--state", state, "-o", out], after: step.delayMicros) { kills += 1 }
            try Self.checkState(state, step, strict: false, server: "hello")
            let again = Run.extc(["build", spec, "--state", state, "-o", out], timeout: 120)
            #expect(again.status == 0, "\(step): the next build failed: \(again.stderr)")
            try Self.checkState(state, step, strict: true, server: "hello")
        }
        #expect(kills > 20, "only \(kills) builds were still running when killed")
    }

    /// Every state file is whole (writes are atomic) and no certificate is there without its key
    /// (keys are written first). `strict`, after a build that completed: every pair matches and
    /// every leaf is signed by the CA of its kind.
    static func checkState(_ state: String, _ step: Step, strict: Bool, server: String = "wardle") throws {
        let dir = "\(state)/\(server)"
        guard FileManager.default.fileExists(atPath: dir) else { return }
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        var certs: [String: Certificate] = [:], keys: [String: PrivateKey] = [:]
        for stem in ["ca", "tls", "etcd-ca", "etcd-server", "etcd-peer", "etcd-client"] {
            if files.contains("\(stem).crt") {
                #expect(files.contains("\(stem).key"), "\(step): \(stem).crt without its key")
                certs[stem] = try? Certificate.parse(pem: Paths.read("\(dir)/\(stem).crt"))
                #expect(certs[stem] != nil, "\(step): \(stem).crt is not whole")
            }
            if files.contains("\(stem).key") {
                keys[stem] = try? PrivateKey.parse(pem: Paths.read("\(dir)/\(stem).key"))
                #expect(keys[stem] != nil, "\(step): \(stem).key is not whole")
            }
        }
        guard strict else { return }
        for (stem, cert) in certs {
            #expect(keys[stem].map { CertificateInfo.matches(cert, $0) } == true, "\(step): \(stem) key and certificate differ after a build")
        }
        for (leaf, ca) in [("tls", "ca"), ("etcd-server", "etcd-ca"), ("etcd-peer", "etcd-ca"), ("etcd-client", "etcd-ca")] {
            if let l = certs[leaf], let c = certs[ca] { #expect(CertificateInfo.isSigned(l, by: c), "\(step): \(leaf) is not signed by \(ca)") }
        }
    }
}
