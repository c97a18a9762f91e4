import ExtcCerts
import ExtcCheck
import ExtcDriver
import ExtcSyntax
import Foundation
import Testing

struct CertTests {
    static let day = 86_400

    /// The minimal sample with some lines replaced, checked into a server.
    static func server(_ replacements: [(String, String)] = [], certs: String = "", in dir: String? = nil) throws -> APIServer {
        var text = Paths.read("\(Paths.samples)/minimal.ext")
        for (a, b) in replacements { text = text.replacingOccurrences(of: a, with: b) }
        if !certs.isEmpty { text = String(text.dropLast(2)) + "  certs {\n\(certs)\n  }\n}\n" }
        let path = "\(dir ?? Paths.temporaryDirectory())/spec.ext"
        Paths.write(text, to: path)
        let result = try FrontEnd().compile(paths: [path])
        return try #require(result.program?.servers.first, "\(result.diagnostics.map(\.message))")
    }

    static func backend(_ state: String, now: Int = Fixed.now) -> CertBackend {
        CertBackend(state: StateDirectory(override: state), env: Fixed.env(now: now))
    }

    static func bundle(_ o: CertOutcome) throws -> PEMBundle {
        guard case .inline(let p)? = o.material else { throw Failure("no inline material: \(o.diagnostics.map(\.message))") }
        return p
    }

    struct Failure: Error, CustomStringConvertible { let description: String; init(_ d: String) { description = d } }

    @Test("CA and serving certificate carry what the aggregation layer checks", arguments: KeyAlgorithm.allCases)
    func issue(_ algorithm: KeyAlgorithm) throws {
        let state = Paths.temporaryDirectory()
        defer { Paths.cleanUp(state) }
        let s = try Self.server(certs: "    key \(algorithm.rawValue)")
        let p = try Self.bundle(Self.backend(state).material(for: s))
        let ca = try CertificateInfo(Certificate.parse(pem: p.caPEM))
        let leaf = try CertificateInfo(Certificate.parse(pem: p.certPEM))
        #expect(ca.isCA && !leaf.isCA)
        #expect(leaf.commonName == "hello.hello.svc")
        #expect(leaf.dnsNames == ["hello", "hello.hello", "hello.hello.svc", "hello.hello.svc.cluster.local"])
        #expect(leaf.key.description == algorithm.rawValue && ca.key.description == algorithm.rawValue)
        #expect(leaf.serialBits >= 64 && ca.serialBits >= 64)
        #expect(leaf.notBefore == Fixed.now - Issuer.backdate)
        #expect(leaf.notAfter == Fixed.now + 365 * Self.day)
        #expect(leaf.notAfter <= ca.notAfter)
        let key = try PrivateKey.parse(pem: p.keyPEM)
        #expect(CertificateInfo.matches(try Certificate.parse(pem: p.certPEM), key))
        #expect(CertificateInfo.isSigned(try Certificate.parse(pem: p.certPEM), by: try Certificate.parse(pem: p.caPEM)))
        #expect(p.keyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----"), "PKCS#8")
    }

    @Test("a certificate's public key is the DER OpenSSL's encoder makes for its key, made and parsed again",
          arguments: KeyAlgorithm.allCases)
    func subjectPublicKeyInfo(_ algorithm: KeyAlgorithm) throws {
        let key = try Issuer.generateKey(algorithm)
        let ca = try Issuer.makeCA(commonName: "spki", key: key, lifetime: Self.day, env: Fixed.env(now: Fixed.now))
        let expected = key.publicKeyInfoDER
        #expect(expected.count > 64)
        #expect(ca.publicKeyInfoDER == expected)
        let parsed = try Certificate.parse(pem: ca.pem())
        #expect(parsed.publicKeyInfoDER == expected)
        #expect(CertificateInfo.matches(ca, key) && CertificateInfo.matches(parsed, key))
        #expect(CertificateInfo.isSigned(parsed, by: ca) && CertificateInfo.isSigned(ca, by: parsed))
        #expect(!CertificateInfo.matches(parsed, try Issuer.generateKey(algorithm)), "another key does not match")
        #expect(try CertificateInfo(ca).key.description == algorithm.rawValue)
    }

    @Test("RSA keys from the shared search pool: each its own, of the size asked for, also when asked for at once")
    func rsaPool() throws {
        let keys = ConcurrentKeys()
        DispatchQueue.concurrentPerform(iterations: 5) { i in keys.add(i, Result { try Issuer.generateKey(i == 4 ? .rsa3072 : .rsa2048) }) }
        let made = try keys.all()
        #expect(made.map(\.algorithm.description) == ["rsa-2048", "rsa-2048", "rsa-2048", "rsa-2048", "rsa-3072"])
        #expect(Set(made.map(\.publicKeyInfoDER)).count == 5, "five different keys")
    }

    final class ConcurrentKeys: @unchecked Sendable {
        private let lock = NSLock()
        private var results: [Int: Result<PrivateKey, Error>] = [:]
        func add(_ i: Int, _ r: Result<PrivateKey, Error>) { lock.withLock { results[i] = r } }
        func all() throws -> [PrivateKey] { try lock.withLock { try results.keys.sorted().map { try results[$0]!.get() } } }
    }

    @Test("state: directories 0700, keys 0600, a .gitignore that keeps every key out")
    func modes() throws {
        let parent = Paths.temporaryDirectory()
        defer { Paths.cleanUp(parent) }
        let state = "\(parent)/.extc"
        let s = try Self.server()
        _ = try Self.bundle(Self.backend(state).material(for: s))
        #expect(FileIO.mode(of: state) == 0o700 && FileIO.mode(of: "\(state)/hello") == 0o700)
        #expect(FileIO.mode(of: "\(state)/hello/ca.key") == 0o600 && FileIO.mode(of: "\(state)/hello/tls.key") == 0o600)
        let ignore = Paths.read("\(state)/.gitignore").split(separator: "\n")
        #expect(ignore.contains("*.key") && ignore.contains("*.key.*") && ignore.contains(".spec"))
    }

    @Test("a state directory extc did not create keeps its mode and its owner's .gitignore, extended with extc's lines")
    func foreignStateDirectory() throws {
        let repo = Paths.temporaryDirectory()
        defer { Paths.cleanUp(repo) }
        chmod(repo, 0o755)
        Paths.write("node_modules/\n", to: "\(repo)/.gitignore")
        let spec = Paths.temporaryDirectory()
        defer { Paths.cleanUp(spec) }
        _ = try Self.bundle(Self.backend(repo).material(for: try Self.server(in: spec)))
        #expect(FileIO.mode(of: repo) == 0o755, "`--state .` must not chmod the repository")
        #expect(Paths.read("\(repo)/.gitignore") == "node_modules/\n# Added by extc: what holds private keys\n*.key\n*.key.*\n.lock\n.spec\n.verified\n")
        #expect(FileIO.mode(of: "\(repo)/hello") == 0o700)
        _ = try Self.bundle(Self.backend(repo).material(for: try Self.server(in: spec)))
        #expect(Paths.read("\(repo)/.gitignore").components(separatedBy: "# Added by extc").count == 2, "added once")
    }

    @Test("a rebuild reuses stored material byte for byte")
    func reuse() throws {
        let state = Paths.temporaryDirectory()
        defer { Paths.cleanUp(state) }
        let s = try Self.server()
        let first = Self.backend(state).material(for: s)
        let second = Self.backend(state, now: Fixed.now + 100 * Self.day).material(for: s)
        #expect(first.notes.count == 2 && second.notes.isEmpty)
        #expect(try Self.bundle(first) == Self.bundle(second))
    }

    @Test("inside the renewal window the leaf is renewed and the CA (so the caBundle) kept")
    func renewLeaf() throws {
        let state = Paths.temporaryDirectory()
        defer { Paths.cleanUp(state) }
        let s = try Self.server()
        let first = try Self.bundle(Self.backend(state).material(for: s))
        let later = Fixed.now + 340 * Self.day
        #expect(Self.backend(state, now: later).expiryWarnings(s).map(\.code) == [.certificateExpiring])
        let renewed = Self.backend(state, now: later).material(for: s)
        #expect(renewed.notes.count == 1 && renewed.notes[0].contains("within renew-before"))
        let p = try Self.bundle(renewed)
        #expect(p.caPEM == first.caPEM && p.certPEM != first.certPEM && p.keyPEM != first.keyPEM)
        #expect(try CertificateInfo(Certificate.parse(pem: p.certPEM)).notAfter == later + 365 * Self.day)
    }

    @Test("a CA inside its renewal window is replaced, and the leaf with it")
    func renewCA() throws {
        let state = Paths.temporaryDirectory()
        defer { Paths.cleanUp(state) }
        let s = try Self.server(certs: "    validity 30d\n    ca-validity 60d\n    renew-before 7d")
        let first = try Self.bundle(Self.backend(state).material(for: s))
        let later = Fixed.now + 55 * Self.day
        let outcome = Self.backend(state, now: later).material(for: s)
        #expect(outcome.notes.first?.contains("new CA") == true)
        #expect(try Self.bundle(outcome).caPEM != first.caPEM)
    }

    @Test("the leaf never outlives the CA")
    func leafCappedByCA() throws {
        let state = Paths.temporaryDirectory()
        defer { Paths.cleanUp(state) }
        let s = try Self.server(certs: "    validity 300d\n    ca-validity 365d\n    renew-before 10d")
        _ = try Self.bundle(Self.backend(state).material(for: s))
        // 200 days on, the leaf is renewed with 300d asked for but only 165d of CA left.
        let later = Fixed.now + 295 * Self.day
        let p = try Self.bundle(Self.backend(state, now: later).material(for: s))
        let ca = try CertificateInfo(Certificate.parse(pem: p.caPEM)), leaf = try CertificateInfo(Certificate.parse(pem: p.certPEM))
        #expect(leaf.notAfter == ca.notAfter)
    }

    @Test("changed names or key algorithm re-issue the leaf under the same CA", arguments: [
        ([("service   hello", "service   greeter")], "", "names changed"),
        ([], "    key rsa-2048", "key algorithm changed from ecdsa-p256 to rsa-2048"),
        ([], "    cluster-domain corp.local", "names changed"),
    ])
    func reissue(_ replacements: [(String, String)], _ certs: String, _ reason: String) throws {
        let state = Paths.temporaryDirectory(), dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(state); Paths.cleanUp(dir) }
        let first = try Self.bundle(Self.backend(state).material(for: try Self.server(in: dir)))
        let outcome = Self.backend(state).material(for: try Self.server(replacements, certs: certs, in: dir))
        #expect(outcome.notes.count == 1 && outcome.notes[0].contains(reason), "\(outcome.notes)")
        #expect(try Self.bundle(outcome).caPEM == first.caPEM)
    }

    @Test("rotation: leaf keeps the CA; all starts a CA rotation (the caBundle gains the new CA)")
    func rotation() throws {
        let state = Paths.temporaryDirectory()
        defer { Paths.cleanUp(state) }
        let s = try Self.server()
        let first = try Self.bundle(Self.backend(state).material(for: s))
        let leaf = try Self.bundle(Self.backend(state).material(for: s, rotate: .leaf))
        #expect(leaf.caPEM == first.caPEM && leaf.certPEM != first.certPEM)
        let all = try Self.bundle(Self.backend(state).material(for: s, rotate: .all))
        #expect(all.bundlePEM.hasPrefix(first.caPEM) && all.bundlePEM != first.caPEM)
    }

    /// The minimal sample with `storage MODE`.
    static func stored(_ mode: String, certs: String = "") throws -> APIServer {
        try server([("  resource greetings", "  storage \(mode)\n  resource greetings")], certs: certs)
    }

    static func etcd(_ o: CertOutcome) throws -> EtcdBundle {
        guard let e = o.etcd else { throw Failure("no etcd material: \(o.diagnostics.map(\.message))") }
        return e
    }

    @Test("etcd: its own CA; server and peer certificates for every name and 127.0.0.1, both usages; a clientAuth-only client",
          arguments: ["sidecar", "cluster { members 3 }"])
    func etcdMaterial(_ mode: String) throws {
        let state = Paths.temporaryDirectory()
        defer { Paths.cleanUp(state) }
        let s = try Self.stored(mode)
        let outcome = Self.backend(state).material(for: s)
        let serving = try Self.bundle(outcome), e = try Self.etcd(outcome)
        #expect(e.caPEM != serving.caPEM, "etcd has a CA of its own")
        let ca = try Certificate.parse(pem: e.caPEM)
        let server = try Certificate.parse(pem: e.server.certPEM), peer = try Certificate.parse(pem: e.peer.certPEM)
        let client = try Certificate.parse(pem: e.client.certPEM)
        for c in [server, peer, client] {
            #expect(CertificateInfo.isSigned(c, by: ca))
            #expect(!CertificateInfo.isSigned(c, by: try Certificate.parse(pem: serving.caPEM)))
        }
        let si = try CertificateInfo(server), pi = try CertificateInfo(peer), ci = try CertificateInfo(client)
        #expect(si.usage == .serverAndClient && pi.usage == .serverAndClient && ci.usage == .clientOnly)
        #expect(si.ipAddresses == ["127.0.0.1"] && pi.ipAddresses == ["127.0.0.1"] && ci.ipAddresses.isEmpty && ci.dnsNames.isEmpty)
        #expect(ci.commonName == "hello-etcd-client")
        if mode == "sidecar" {
            #expect(si.dnsNames == ["localhost"] && pi.dnsNames == ["localhost"])
        } else {
            let members = (0..<3).flatMap { ["hello-etcd-\($0).hello-etcd.hello.svc", "hello-etcd-\($0).hello-etcd.hello.svc.cluster.local"] }
            #expect(si.dnsNames == ["hello-etcd-client", "hello-etcd-client.hello", "hello-etcd-client.hello.svc",
                                    "hello-etcd-client.hello.svc.cluster.local"] + members + ["localhost"])
            #expect(pi.dnsNames == members + ["localhost"])
        }
        for stem in ["etcd-ca", "etcd-server", "etcd-peer", "etcd-client"] {
            #expect(FileIO.mode(of: "\(state)/hello/\(stem).key") == 0o600, "\(stem).key")
        }
        #expect(outcome.notes.count == 6, "\(outcome.notes)")
    }

    @Test("etcd material: reused byte for byte, renewed under its CA, rotated with the rest")
    func etcdLifecycle() throws {
        let state = Paths.temporaryDirectory()
        defer { Paths.cleanUp(state) }
        let s = try Self.stored("cluster")
        let first = try Self.etcd(Self.backend(state).material(for: s))
        let again = Self.backend(state, now: Fixed.now + 100 * Self.day).material(for: s)
        let reused = try Self.etcd(again)
        #expect(again.notes.isEmpty && reused == first)
        let later = Fixed.now + 340 * Self.day
        let renewed = Self.backend(state, now: later).material(for: s)
        #expect(renewed.notes.count == 4 && renewed.notes.allSatisfy { $0.contains("within renew-before") }, "\(renewed.notes)")
        let r = try Self.etcd(renewed)
        #expect(r.caPEM == first.caPEM && r.server != first.server && r.peer != first.peer && r.client != first.client)
        let leaf = try Self.etcd(Self.backend(state, now: later).material(for: s, rotate: .leaf))
        #expect(leaf.caPEM == first.caPEM && leaf.client != r.client)
        let all = try Self.etcd(Self.backend(state, now: later).material(for: s, rotate: .all))
        #expect(all.caPEM != first.caPEM && all.client != leaf.client)
        let roles = Self.backend(state, now: later).inspect(s).map(\.role)
        #expect(roles == ["CA", "serving", "etcd CA", "etcd server", "etcd peer", "etcd client"])
    }

    @Test("a cluster whose members change gets new server and peer certificates, and keeps client and CA")
    func etcdMembersChange() throws {
        let state = Paths.temporaryDirectory(), dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(state); Paths.cleanUp(dir) }
        let three = try Self.server([("  resource greetings", "  storage cluster\n  resource greetings")], in: dir)
        let first = try Self.etcd(Self.backend(state).material(for: three))
        let five = try Self.server([("  resource greetings", "  storage cluster { members 5 }\n  resource greetings")], in: dir)
        let outcome = Self.backend(state).material(for: five)
        #expect(outcome.notes.count == 2 && outcome.notes.allSatisfy { $0.contains("names changed") }, "\(outcome.notes)")
        let e = try Self.etcd(outcome)
        #expect(e.caPEM == first.caPEM && e.client == first.client && e.server != first.server)
    }

    @Test("broken state is re-issued, not a crash")
    func brokenState() throws {
        let state = Paths.temporaryDirectory()
        defer { Paths.cleanUp(state) }
        let s = try Self.server()
        let first = try Self.bundle(Self.backend(state).material(for: s))
        Paths.write("garbage", to: "\(state)/hello/tls.crt")
        let second = Self.backend(state).material(for: s)
        #expect(second.notes.count == 1 && second.notes[0].contains("could not be read"))
        #expect(try Self.bundle(second).caPEM == first.caPEM)
        // The key of another pair: detected as a mismatch.
        Paths.write(Paths.read("\(state)/hello/ca.key"), to: "\(state)/hello/tls.key")
        #expect(Self.backend(state).material(for: s).notes.first?.contains("does not match") == true)
    }

    @Test("a stored CA that cannot be read is E0308 and left as it is; --rotate all keeps it beside the new one",
          arguments: ["truncated", "garbage", "missing key", "encrypted"])
    func unreadableCA(_ damage: String) throws {
        let state = Paths.temporaryDirectory()
        defer { Paths.cleanUp(state) }
        let s = try Self.server()
        _ = try Self.bundle(Self.backend(state).material(for: s))
        let key = "\(state)/hello/ca.key", cert = "\(state)/hello/ca.crt"
        let original = Paths.read(key)
        switch damage {
        case "truncated": Paths.write(String(original.prefix(original.count / 2)), to: key)
        case "garbage": Paths.write("not a key\n", to: key)
        case "missing key": try FileManager.default.removeItem(atPath: key)
        default: Paths.write("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n", to: key)
        }
        let damaged = FileManager.default.fileExists(atPath: key) ? Paths.read(key) : nil, certText = Paths.read(cert)
        let outcome = Self.backend(state).material(for: s)
        #expect(outcome.diagnostics.filter(\.isError).map(\.code) == [.stateCAUnusable], "\(outcome.diagnostics.map(\.message)) \(outcome.notes)")
        #expect(outcome.material == nil && outcome.notes.isEmpty)
        #expect((FileManager.default.fileExists(atPath: key) ? Paths.read(key) : nil) == damaged && Paths.read(cert) == certText,
                "nothing is replaced")
        let rotated = Self.backend(state).material(for: s, rotate: .all)
        #expect(rotated.diagnostics.allSatisfy { !$0.isError } && rotated.notes.first?.contains("the old one is kept as") == true,
                "\(rotated.notes) \(rotated.diagnostics.map(\.message))")
        let kept = try FileManager.default.contentsOfDirectory(atPath: "\(state)/hello").filter { $0.contains(".replaced-") }
        #expect(kept.contains { $0.hasPrefix("ca.crt.replaced-") })
        if damaged != nil { #expect(kept.contains { $0.hasPrefix("ca.key.replaced-") }) }
    }

    @Test("a CA key without its certificate (an interrupted issue) is kept aside and a new CA issued")
    func orphanKey() throws {
        let state = Paths.temporaryDirectory()
        defer { Paths.cleanUp(state) }
        let s = try Self.server()
        _ = try Self.bundle(Self.backend(state).material(for: s))
        let key = Paths.read("\(state)/hello/ca.key")
        try FileManager.default.removeItem(atPath: "\(state)/hello/ca.crt")
        let outcome = Self.backend(state).material(for: s)
        #expect(outcome.diagnostics.filter(\.isError).isEmpty && outcome.notes.first?.contains("interrupted issue") == true, "\(outcome.notes)")
        let kept = try FileManager.default.contentsOfDirectory(atPath: "\(state)/hello").filter { $0.hasPrefix("ca.key.orphan-") }
        #expect(kept.count == 1 && Paths.read("\(state)/hello/\(kept[0])") == key, "the orphan key is kept")
    }

    @Test("an expiring CA is replaced, and its key kept aside")
    func replacedCAKept() throws {
        let state = Paths.temporaryDirectory()
        defer { Paths.cleanUp(state) }
        let s = try Self.server(certs: "    validity 30d\n    ca-validity 60d\n    renew-before 7d")
        _ = try Self.bundle(Self.backend(state).material(for: s))
        let oldKey = Paths.read("\(state)/hello/ca.key")
        let outcome = Self.backend(state, now: Fixed.now + 55 * Self.day).material(for: s)
        #expect(outcome.notes.first?.contains("the old one is kept as") == true)
        let kept = try FileManager.default.contentsOfDirectory(atPath: "\(state)/hello").filter { $0.hasPrefix("ca.key.replaced-") }
        #expect(kept.count == 1 && Paths.read("\(state)/hello/\(kept[0])") == oldKey)
    }

    /// Every certificate in a PEM bundle.
    static func certificates(_ bundle: String) throws -> [Certificate] {
        try bundle.components(separatedBy: "-----END CERTIFICATE-----\n").filter { $0.contains("BEGIN CERTIFICATE") }
            .map { try Certificate.parse(pem: $0 + "-----END CERTIFICATE-----\n") }
    }

    /// `openssl verify` of the leaf against the bundle, when openssl is there; in-process otherwise.
    static func verifies(_ leafPEM: String, _ bundle: String) throws -> Bool {
        let leaf = try Certificate.parse(pem: leafPEM)
        let inProcess = try certificates(bundle).contains { CertificateInfo.isSigned(leaf, by: $0) }
        guard let openssl = Run.which("openssl") else { return inProcess }
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        Paths.write(bundle, to: "\(dir)/bundle.pem")
        Paths.write(leafPEM, to: "\(dir)/leaf.pem")
        let r = Run.program(openssl, ["verify", "-attime", String(Fixed.now + 3 * 86_400), "-CAfile", "\(dir)/bundle.pem", "\(dir)/leaf.pem"])
        return inProcess && r.status == 0
    }

    @Test("CA rotation in two phases: both CAs trusted while the serving certificate moves, then the old one dropped")
    func twoPhaseRotation() throws {
        let state = Paths.temporaryDirectory()
        defer { Paths.cleanUp(state) }
        let s = try Self.server()
        let hour = 3600, t0 = Fixed.now
        let start = try Self.bundle(Self.backend(state, now: t0).material(for: s))
        #expect(start.bundlePEM == start.caPEM)

        let rotating = Self.backend(state, now: t0 + 60).material(for: s, rotate: .all)
        let p1 = try Self.bundle(rotating)
        #expect(rotating.notes.first?.contains("started a two-phase CA rotation") == true, "\(rotating.notes)")
        #expect(p1.certPEM == start.certPEM && p1.caPEM == start.caPEM, "phase 1 keeps the serving certificate")
        #expect(try Self.certificates(p1.bundlePEM).count == 2)
        #expect(try Self.verifies(p1.certPEM, p1.bundlePEM))
        #expect(Self.backend(state, now: t0 + 120).rotationStatus(s)?.phase == 1)

        let early = try Self.bundle(Self.backend(state, now: t0 + 30 * 60).material(for: s))
        #expect(early.bundlePEM == p1.bundlePEM && early.certPEM == p1.certPEM, "nothing moves before the grace period")

        let switching = Self.backend(state, now: t0 + 60 + hour + 1).material(for: s)
        let p2 = try Self.bundle(switching)
        #expect(switching.notes.contains { $0.contains("phase 2") }, "\(switching.notes)")
        #expect(p2.caPEM != start.caPEM && p2.certPEM != start.certPEM)
        #expect(try Self.certificates(p2.bundlePEM).count == 2)
        #expect(try Self.verifies(p2.certPEM, p2.bundlePEM), "the new serving certificate")
        #expect(try Self.verifies(start.certPEM, p2.bundlePEM), "pods still serving the old one")

        let done = Self.backend(state, now: t0 + 60 + 2 * hour + 2).material(for: s)
        let p3 = try Self.bundle(done)
        #expect(done.notes.contains { $0.contains("rotation done") }, "\(done.notes)")
        #expect(p3.bundlePEM == p2.caPEM && p3.certPEM == p2.certPEM)
        #expect(try Self.verifies(p3.certPEM, p3.bundlePEM) && !(try Self.verifies(start.certPEM, p3.bundlePEM)))
        #expect(Self.backend(state).rotationStatus(s) == nil)
        let kept = try FileManager.default.contentsOfDirectory(atPath: "\(state)/hello").filter { $0.hasPrefix("ca.key.replaced-") }
        #expect(kept.count == 1, "the old CA key is kept aside")
    }

    @Test("a key others can read is set back to 0600 with W0008; a certificate from the future is W0009 and re-issued")
    func hygiene() throws {
        let state = Paths.temporaryDirectory()
        defer { Paths.cleanUp(state) }
        let s = try Self.server()
        let first = try Self.bundle(Self.backend(state).material(for: s))
        chmod("\(state)/hello/tls.key", 0o644)
        let again = Self.backend(state).material(for: s)
        #expect(again.diagnostics.map(\.code) == [.keyReadableByOthers] && FileIO.mode(of: "\(state)/hello/tls.key") == 0o600)
        #expect(try Self.bundle(again) == first, "the material itself is reused")
        // The clock ran back a day: every stored certificate is from the future.
        let earlier = Self.backend(state, now: Fixed.now - 86_400).material(for: s)
        #expect(earlier.diagnostics.contains { $0.code == .certificateFromTheFuture }, "\(earlier.diagnostics.map(\.message))")
        #expect(earlier.diagnostics.allSatisfy { !$0.isError })
        let p = try Self.bundle(earlier)
        #expect(p.caPEM != first.caPEM && p.certPEM != first.certPEM, "\(earlier.notes)")
        #expect(try CertificateInfo(Certificate.parse(pem: p.certPEM)).notBefore <= Fixed.now - 86_400)
    }

    @Test("two specs with an apiserver of the same name never share a state directory (E0309)")
    func oneStatePerSpec() throws {
        let state = Paths.temporaryDirectory(), a = Paths.temporaryDirectory(), b = Paths.temporaryDirectory()
        defer { Paths.cleanUp(state); Paths.cleanUp(a); Paths.cleanUp(b) }
        _ = try Self.bundle(Self.backend(state).material(for: try Self.server(in: a)))
        let other = Self.backend(state).material(for: try Self.server(in: b))
        #expect(other.diagnostics.map(\.code) == [.stateOwnedByOtherSpec] && other.material == nil)
        let owner = try Self.server(in: a)
        #expect(Self.backend(state).material(for: owner).diagnostics.isEmpty, "the owner keeps building")
        try FileManager.default.removeItem(atPath: "\(a)/spec.ext")
        let moved = try Self.server(in: b)
        #expect(Self.backend(state).material(for: moved).diagnostics.isEmpty, "a moved spec takes its state over")
    }

    @Test("a switch to phase 2 cut short between its renames is finished by the next build")
    func interruptedSwitch() throws {
        let state = Paths.temporaryDirectory()
        defer { Paths.cleanUp(state) }
        let s = try Self.server()
        let start = try Self.bundle(Self.backend(state, now: Fixed.now).material(for: s))
        _ = Self.backend(state, now: Fixed.now + 60).material(for: s, rotate: .all)
        let next = Paths.read("\(state)/hello/ca-next.crt")
        // The crash: only the first rename of the switch happened.
        #expect(rename("\(state)/hello/ca.crt", "\(state)/hello/ca-previous.crt") == 0)
        let outcome = Self.backend(state, now: Fixed.now + 120).material(for: s)
        let p = try Self.bundle(outcome)
        #expect(outcome.diagnostics.filter(\.isError).isEmpty, "\(outcome.diagnostics.map(\.message))")
        #expect(p.caPEM == next && p.bundlePEM == next + start.caPEM && p.certPEM != start.certPEM)
        #expect(Self.backend(state).rotationStatus(s)?.phase == 2)
        #expect(try Self.verifies(start.certPEM, p.bundlePEM) && Self.verifies(p.certPEM, p.bundlePEM))
    }

    @Test("an unusable state directory is E0306")
    func unusableState() throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        Paths.write("a file, not a directory", to: "\(dir)/state")
        let outcome = Self.backend("\(dir)/state").material(for: try Self.server())
        #expect(outcome.material == nil && outcome.diagnostics.map(\.code) == [.stateUnusable])
    }

    @Test("a root whose .gitignore cannot be written gets no key, and each server one E0306 naming it")
    func ignoreFirst() throws {
        let state = Paths.temporaryDirectory()
        defer { Paths.cleanUp(state) }
        #expect(mkdir("\(state)/.gitignore", 0o700) == 0)  // a directory: the write fails
        let s = try Self.server([("resource greetings", "storage sidecar\n  resource greetings")])
        let outcome = Self.backend(state).material(for: s)
        #expect(outcome.material == nil && outcome.etcd == nil && outcome.notes.isEmpty)
        #expect(outcome.diagnostics.map(\.code) == [.stateUnusable] && outcome.diagnostics[0].message.contains(".gitignore"),
                "\(outcome.diagnostics.map(\.message))")
        let left = FileIO.list("\(state)/hello")
        #expect(!left.contains { $0.contains(".key") || $0.contains(".crt") }, "written without a .gitignore: \(left)")
        // Once the .gitignore can be written, the same state builds.
        #expect(rmdir("\(state)/.gitignore") == 0)
        let again = Self.backend(state).material(for: s)
        #expect(again.diagnostics.filter(\.isError).isEmpty && again.etcd != nil && FileIO.exists("\(state)/hello/etcd-client.key"))
    }
}

/// `ca files CERT KEY`, with CAs made by the openssl CLI (the product never runs it; tests may).
struct FileCATests {
    static let openssl = Run.which("openssl")

    static func sh(_ args: [String], in dir: String) throws {
        let r = Run.program(openssl!, args, cwd: dir, timeout: 60)
        if r.status != 0 { throw CertTests.Failure("openssl \(args.joined(separator: " ")): \(r.stderr)") }
    }

    /// A CA in `dir` as ca.crt and ca.key, from a key made by `keyArgs`.
    static func makeCA(in dir: String, keyArgs: [String], days: Int = 3650, isCA: Bool = true) throws {
        try sh(keyArgs, in: dir)
        let ext = isCA ? ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]
            : ["-addext", "basicConstraints=critical,CA:FALSE"]
        try sh(["req", "-x509", "-new", "-key", "ca.key", "-out", "ca.crt", "-days", "\(days)", "-subj", "/CN=test-ca"] + ext, in: dir)
    }

    static func outcome(_ dir: String) throws -> CertOutcome {
        let s = try CertTests.server(certs: "    ca files \"ca.crt\" \"ca.key\"", in: dir)
        return CertBackend(state: StateDirectory(override: "\(dir)/state"), env: .system).material(for: s)
    }

    @Test("PKCS#8, PKCS#1 and SEC1 keys sign a leaf that verifies", .enabled(if: openssl != nil), arguments: [
        ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ca.key"],
        ["genrsa", "-traditional", "-out", "ca.key", "2048"],
        ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key"],
    ])
    func keyFormats(_ keyArgs: [String]) throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        try Self.makeCA(in: dir, keyArgs: keyArgs)
        let p = try CertTests.bundle(try Self.outcome(dir))
        #expect(CertificateInfo.isSigned(try Certificate.parse(pem: p.certPEM), by: try Certificate.parse(pem: Paths.read("\(dir)/ca.crt"))))
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/state/hello/ca.key"), "a file CA's key is never copied")
        #expect(try Self.outcome(dir).notes.isEmpty, "the second build reuses the leaf")
    }

    @Test("bad CA files are clear diagnostics", .enabled(if: openssl != nil), arguments: [
        ("encrypted", DiagnosticCode.caKeyEncrypted), ("not a CA", .caNotCA), ("mismatched key", .caKeyMismatch),
        ("expiring", .caTooShort), ("missing", .caFileUnreadable), ("not PEM", .caFileUnreadable),
    ])
    func badFiles(_ label: String, _ code: DiagnosticCode) throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let ec = ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ca.key"]
        switch label {
        case "encrypted":
            try Self.makeCA(in: dir, keyArgs: ec)
            try Self.sh(["pkey", "-in", "ca.key", "-aes256", "-passout", "pass:secret", "-out", "ca.enc"], in: dir)
            try FileManager.default.removeItem(atPath: "\(dir)/ca.key")
            try FileManager.default.moveItem(atPath: "\(dir)/ca.enc", toPath: "\(dir)/ca.key")
        case "not a CA": try Self.makeCA(in: dir, keyArgs: ec, isCA: false)
        case "mismatched key":
            try Self.makeCA(in: dir, keyArgs: ec)
            try Self.sh(ec, in: dir)
        case "expiring": try Self.makeCA(in: dir, keyArgs: ec, days: 5)
        case "not PEM":
            try Self.makeCA(in: dir, keyArgs: ec)
            Paths.write("not a certificate", to: "\(dir)/ca.crt")
        default: break
        }
        let o = try Self.outcome(dir)
        #expect(o.material == nil)
        #expect(o.diagnostics.map(\.code) == [code], "\(o.diagnostics.map(\.message))")
        #expect(o.diagnostics.allSatisfy { $0.span.file.path.hasSuffix("spec.ext") })
    }
}
