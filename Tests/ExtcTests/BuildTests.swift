import ExtcCerts
import ExtcCheck
import ExtcDriver
import ExtcEmit
import ExtcLower
import ExtcSyntax
import Foundation
import Testing

struct BuildTests {
    static var specs: [String] { Paths.sampleFiles() + Paths.files(in: "\(Paths.fixtures)/valid", ext: "ext") }


    /// A long stream is emitted in slices on every core, and a watch keeps each object's
    /// document: the pieces must be one emitter's stream, and each the document alone.
    @Test("YAML documents emitted in parallel slices are byte for byte one emitter's stream, and each its document alone")
    func parallelEmission() throws {
        let built = try Fixed.build(Paths.topSamples())
        let docs = built.output.objects.map(\.body)
        let one = try Emit.yaml(docs)
        #expect(docs.count > 20 && one.hasPrefix("---"))
        for slices in [1, 2, 3, 7, docs.count] {
            let pieces = try Emit.yamlDocuments(docs, slices: slices)
            #expect(pieces.count == docs.count && pieces.joined() == one, "\(slices) slices")
        }
        let pieces = try Emit.yamlDocuments(docs, slices: 3)
        for (doc, piece) in zip(docs, pieces) { #expect(try Emit.yaml([doc]) == piece) }
        let many = Array(repeating: docs, count: 20).flatMap { $0 }
        #expect(try Emit.yamlDocuments(many).joined() == String(repeating: one, count: 20), "the threshold path")
        #expect(try Emit.stream(built.output.objects, format: .yaml) == one)
    }

    @Test("golden output for every sample and valid fixture", arguments: specs)
    func golden(_ path: String) throws {
        let built = try Fixed.build([path])
        #expect(!built.output.failed, "\(built.output.diagnostics.map(\.message))")
        #expect(Golden.recording || built.output.notes.isEmpty, "the fixture state should be reused, but: \(built.output.notes)")
        Golden.check(built.output.files[0].contents, "build/\(Paths.sampleName(path)).yaml")
        #expect(!built.output.files[0].contents.contains("Located<"), "a Swift value was interpolated into the output")
    }

    @Test("JSON output is a v1 List")
    func json() throws {
        var options = BuildOptions()
        options.format = .json
        let built = try Fixed.build(["\(Paths.samples)/wardle.ext"], options: options)
        let text = built.output.files[0].contents
        Golden.check(text, "build/wardle.json")
        let list = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(list["kind"] as? String == "List" && list["apiVersion"] as? String == "v1")
        #expect((list["items"] as? [Any])?.count == built.output.objects.count)
    }

    @Test("dir and kustomize layouts: stable names in apply order, the Secret ignored by git")
    func layouts() throws {
        var options = BuildOptions()
        options.layout = .kustomize
        let built = try Fixed.build(["\(Paths.samples)/wardle.ext"], options: options)
        let names = built.output.files.map(\.name)
        Golden.check(names.joined(separator: "\n") + "\n", "build/wardle-kustomize-files.txt")
        let kustomization = try #require(built.output.files.first { $0.name == "kustomization.yaml" })
        Golden.check(kustomization.contents, "build/wardle-kustomization.yaml")
        let objectFiles = names.filter(Layouts.isGeneratedName)
        let ranks = objectFiles.sorted().map { $0.prefix(2) }
        #expect(ranks == objectFiles.map { $0.prefix(2) } && ranks == ranks.sorted(), "lexical order must be apply order")
        // The committed half applies on its own: every key lives under the ignored secrets/, which
        // has its own kustomization, and the main one names only committed files.
        let ignore = try #require(built.output.files.first { $0.name == ".gitignore" })
        #expect(ignore.contents.hasSuffix("/secrets/\n/.extc-secret-files\n"))
        #expect(built.output.files.filter(\.sensitive).map(\.name) == ["secrets/05-secret.wardle.wardle-tls.yaml", "secrets/05-secret.wardle.wardle-etcd-server.yaml",
                                                                   "secrets/05-secret.wardle.wardle-etcd-peer.yaml", "secrets/05-secret.wardle.wardle-etcd-client.yaml",
                                                                   "secrets/kustomization.yaml"])
        let committed = Set(names.filter { !$0.hasPrefix("secrets/") })
        let listed = try YAMLReader.read(kustomization.contents)[0]["resources"]!.listValue.compactMap(\.stringValue)
        #expect(!listed.isEmpty && listed.allSatisfy(committed.contains), "the main kustomization names an ignored file")
        #expect(!built.output.files.contains { $0.sensitive && !$0.name.hasPrefix("secrets/") })
    }

    @Test("a layout's .gitignore makes git ignore every file holding keys, of either layout and format, and their temporary files, and nothing else")
    func layoutIgnores() throws {
        let git = try #require(Run.which("git"))
        let repo = Paths.temporaryDirectory()
        defer { Paths.cleanUp(repo) }
        #expect(Run.program(git, ["init", "-q", repo]).status == 0)
        var secrets: Set<String> = [], committed: Set<String> = [], ignores: Set<String> = []
        for layout in [Layout.dir, .kustomize] {
            for format in [OutputFormat.yaml, .json] {
                var options = BuildOptions()
                (options.layout, options.format) = (layout, format)
                let files = try Fixed.build(["\(Paths.samples)/wardle.ext"], options: options).output.files
                ignores.insert(try #require(files.first { $0.name == ".gitignore" }).contents)
                secrets.formUnion(files.filter(\.sensitive).map(\.name))
                committed.formUnion(files.filter { !$0.sensitive && $0.name != ".gitignore" }.map(\.name))
            }
        }
        #expect(ignores.count == 1, "one text whatever the layout and format")
        Paths.write(try #require(ignores.first), to: "\(repo)/.gitignore")
        let temporaries = secrets.map { name in
            FileIO.directory(of: name) == "." ? ".\(name).extc-tmp-0123" : "\(FileIO.directory(of: name))/.\(FileIO.baseName(of: name)).extc-tmp-0123"
        }
        // Four Secrets per format in each layout, and secrets/kustomization.yaml (one name for both formats).
        #expect(secrets.count == 2 * 4 + 2 * 4 + 1)
        for path in secrets.sorted() + temporaries.sorted() + [OutputWriter.secretManifest] {
            #expect(Run.program(git, ["-C", repo, "check-ignore", "-q", "--no-index", path]).status == 0, "\(path) is not ignored")
        }
        for path in committed.sorted() + [OutputWriter.manifest] {
            #expect(Run.program(git, ["-C", repo, "check-ignore", "-q", "--no-index", path]).status == 1, "\(path) is ignored")
        }
    }

    @Test("the same input gives the same bytes, whatever the order of the files")
    func determinism() throws {
        let state = Fixed.seededState()
        defer { Paths.cleanUp(state) }
        let paths = Paths.topSamples()
        let a = try Fixed.build(paths, state: state).output.files[0].contents
        let b = try Fixed.build(paths, state: state).output.files[0].contents
        let c = try Fixed.build(paths.reversed(), state: state).output.files[0].contents
        #expect(a == b)
        #expect(a == c)
    }

    @Test("libyaml reads the output back to exactly the objects meant", arguments: specs)
    func roundTrip(_ path: String) throws {
        let built = try Fixed.build([path])
        let read = try YAMLReader.read(built.output.files[0].contents)
        #expect(read == built.output.objects.map(\.body))
    }

    @Test("strings that would re-read as another type are quoted")
    func quoting() throws {
        let text = try Fixed.build(["\(Paths.fixtures)/valid/quoting.ext"]).output.files[0].contents
        for value in ["yes", "on", "null", "~", "1.0", "0755", "1e3", "", "true", "0x1F", "12:30", ".inf", "2001-12-14", "100"] {
            #expect(text.contains("- \"\(value)\"\n"), "arg \(value.debugDescription) not quoted")
        }
        #expect(text.contains("- plain\n") && text.contains("- --flag\n"))
        #expect(text.contains("example.com/long: a line far longer than eighty characters, which libyaml must not fold onto a second line at all\n"))
        for q in ["yes", "on", "null", "~", "1.0", "0755", "1e3", ""] { #expect(YAMLQuoting.needsQuotes(q)) }
    }

    @Test("random number- and keyword-like strings read back as the same strings")
    func quotingProperty() throws {
        // Strings over the characters YAML 1.1/1.2 resolve as numbers, booleans and nulls; the
        // independent resolver in YAMLReader is the judge of what a plain scalar would become.
        let alphabet = Array("0123456789.:+-_eExXoObBafFyYnNtTrRuUlLsS~=< ".utf8)
        let random = Fixed.Counter(0x9A)
        var values = (0..<3000).map { _ -> String in
            let length = Int(random.bytes(1)[0] % 9)
            return String(decoding: random.bytes(length).map { alphabet[Int($0) % alphabet.count] }, as: UTF8.self)
        }
        values += ["True", "TRUE", "Yes", "NULL", "Off", ".NaN", "-.Inf", "0o17", "0b101", "1_000", "190:20:30", "+.5", "-.5e3", "é1"]
        let file = SourceFile(path: "quoting", text: "")
        let object = KubeObject(kind: "ConfigMap", apiVersion: "v1", name: "q", namespace: nil,
                                body: .map([Node.Field("values", .list(values.map(Node.string)))]),
                                origin: Span(file: file, start: 0, end: 0), sensitive: false)
        let read = try YAMLReader.read(Emit.stream([object], format: .yaml))
        #expect(read == [object.body])
    }

    @Test("no null, and no empty map or list the API server would drop", arguments: specs)
    func noEmptyFields(_ path: String) throws {
        func walk(_ n: Node, _ at: String) {
            switch n {
            case .map(let fields):
                if fields.isEmpty, !(at.hasSuffix("emptyDir") || at.hasSuffix("selfSigned")) { Issue.record("empty map at \(at)") }
                for f in fields { walk(f.value, "\(at).\(f.key)") }
            case .list(let items):
                if items.isEmpty { Issue.record("empty list at \(at)") }
                for (i, item) in items.enumerated() { walk(item, "\(at)[\(i)]") }
            default: break
            }
        }
        for o in try Fixed.build([path]).output.objects { walk(o.body, o.reference) }
    }

    @Test("the server's own ClusterRole for each supported k8s.io/apiserver version", arguments: LibraryRBAC.supported)
    func libraryRow(_ minor: Int) throws {
        let dir = Paths.temporaryDirectory()
        defer { Paths.cleanUp(dir) }
        let spec = Paths.read("\(Paths.samples)/minimal.ext").replacingOccurrences(of: "  resource", with: "  library   1.\(minor)\n  resource")
        Paths.write(spec, to: "\(dir)/minimal.ext")
        let built = try Fixed.build(["\(dir)/minimal.ext"])
        let role = try #require(built.output.objects.first { $0.kind == "ClusterRole" && $0.name == "hello:apiserver" })
        Golden.check(try Emit.yaml([role.body]), "build/library-1.\(minor).yaml")
        let resources = role.body["rules"]!.listValue.flatMap { $0["resources"]!.listValue.compactMap(\.stringValue) }
        #expect(resources.contains("validatingadmissionpolicies") == (minor >= 30))
        #expect(resources.contains("mutatingadmissionpolicies") == (minor >= 36))
        #expect(resources.contains("namespaces") && resources.contains("flowschemas") && resources.contains("validatingwebhookconfigurations"))
    }

    @Test("storage: the server gets every --etcd-* flag, the prefix from its group")
    func storageFlags() throws {
        for path in ["\(Paths.samples)/wardle.ext", "\(Paths.samples)/cluster/wardle.ext"] {
            let objects = try Fixed.build([path]).output.objects
            let deployment = try #require(objects.first { $0.kind == "Deployment" })
            let args = deployment.body.at("spec.template.spec")?["containers"]?.listValue.first?["args"]?.listValue.compactMap(\.stringValue) ?? []
            #expect(args.contains("--etcd-prefix=/registry/wardle.example.com"))
            for flag in ["--etcd-servers=https://", "--etcd-cafile=/var/run/extc/etcd-client/ca.crt",
                         "--etcd-certfile=/var/run/extc/etcd-client/tls.crt", "--etcd-keyfile=/var/run/extc/etcd-client/tls.key"] {
                #expect(args.contains { $0.hasPrefix(flag) }, "\(flag) missing")
            }
        }
    }

    @Test("a shared namespace is created once")
    func sharedNamespace() throws {
        let objects = try Fixed.build(["\(Paths.samples)/multiversion.ext"]).output.objects
        #expect(objects.filter { $0.kind == "Namespace" }.map(\.name) == ["acme-system"])
        #expect(objects.filter { $0.kind == "Deployment" }.map(\.name) == ["gizmos", "widgets"])
        #expect(objects.filter { $0.kind == "PodDisruptionBudget" }.map(\.name) == ["widgets"], "replicas 1 gets no PDB")
    }

    @Test("--no-secrets leaves the Secret out and keeps the caBundle")
    func noSecrets() throws {
        var options = BuildOptions()
        options.includeSecrets = false
        let built = try Fixed.build(["\(Paths.samples)/wardle.ext"], options: options)
        #expect(!built.output.objects.contains { $0.kind == "Secret" })
        #expect(!built.output.files[0].contents.contains("PRIVATE KEY"))
        #expect(!built.output.files[0].contents.contains("tls.key:"))
        #expect(built.output.objects.filter { $0.kind == "APIService" }.allSatisfy { $0.body.at("spec.caBundle") != nil })
    }

    @Test("cert-manager mode: Issuers and Certificates, CA injected, no key material")
    func certManager() throws {
        let built = try Fixed.build(["\(Paths.fixtures)/valid/certmanager.ext"])
        let o = built.output.objects
        #expect(!o.contains { $0.kind == "Secret" })
        #expect(o.filter { $0.kind == "Issuer" }.count == 2 && o.filter { $0.kind == "Certificate" }.count == 2)
        let serving = try #require(o.first { $0.kind == "Certificate" && $0.name == "managed-tls" })
        #expect(serving.body.at("spec.secretName")?.stringValue == "managed-tls")
        #expect(serving.body.at("spec.dnsNames")?.listValue.compactMap(\.stringValue) ==
                ["managed-api", "managed-api.managed", "managed-api.managed.svc", "managed-api.managed.svc.cluster.local"])
        for api in o.filter({ $0.kind == "APIService" }) {
            #expect(api.body.at("metadata.annotations")?["cert-manager.io/inject-ca-from"]?.stringValue == "managed/managed-tls")
            #expect(api.body.at("spec.caBundle") == nil && api.body.at("spec.insecureSkipTLSVerify") == .bool(false))
        }
        let state = Fixed.seededState()
        defer { Paths.cleanUp(state) }
        _ = try Fixed.build(["\(Paths.fixtures)/valid/certmanager.ext"], state: state)
        #expect(!FileManager.default.fileExists(atPath: "\(state)/managed"), "cert-manager mode keeps no local state")
    }
}

/// The cross-object checks must catch each kind of inconsistency, so they are run on corrupted copies.
struct CrossCheckTests {
    static let corruptions: [(String, @Sendable (String, Node) -> Node?)] = [
        ("a binding to another ServiceAccount", { kind, body in
            kind == "RoleBinding" ? replace(body, "subjects", [["kind": "ServiceAccount", "name": "default", "namespace": "default"]]) : nil }),
        ("a Service selector the pods lack", { kind, body in
            kind == "Service" ? replace(body, "spec", ["selector": ["app": "other"], "ports": body.at("spec.ports")!]) : nil }),
        ("a target port the container lacks", { kind, body in
            kind == "Service" ? replace(body, "spec", ["selector": body.at("spec.selector")!, "ports": [["name": "https", "port": 443, "targetPort": "http"]]]) : nil }),
        ("an APIService port the Service lacks", { kind, body in
            kind == "APIService" ? replace(body, "spec", .map(body.at("spec")!.fields.map { $0.key == "service" ? .init("service", ["namespace": "wardle", "name": "api", "port": 8443]) : $0 })) : nil }),
        ("an APIService version the spec lacks", { kind, body in
            kind == "APIService" ? replace(body, "spec", .map(body.at("spec")!.fields.map { $0.key == "version" ? .init("version", "v9") : $0 })) : nil }),
        ("a mounted Secret that is not generated", { kind, body in
            kind == "Secret" ? replace(body, "metadata", ["name": "other", "namespace": "wardle", "labels": body.at("metadata.labels")!]) : nil }),
    ]

    static func replace(_ body: Node, _ key: String, _ value: Node) -> Node {
        .map(body.fields.map { $0.key == key ? Node.Field(key, value) : $0 })
    }

    @Test("the generated objects pass")
    func clean() throws {
        let built = try Fixed.build(["\(Paths.samples)/wardle.ext"])
        #expect(CrossCheck.verify(built.output.objects, program: built.program).isEmpty)
    }

    @Test("each corruption is reported as E0900 at the spec", arguments: corruptions.indices)
    func corrupted(_ i: Int) throws {
        let (label, corrupt) = Self.corruptions[i]
        let built = try Fixed.build(["\(Paths.samples)/wardle.ext"])
        var changed = false
        let objects = built.output.objects.map { o -> KubeObject in
            guard !changed, let body = corrupt(o.kind, o.body) else { return o }
            changed = true
            return KubeObject(kind: o.kind, apiVersion: o.apiVersion, name: body.at("metadata.name")?.stringValue ?? o.name,
                              namespace: o.namespace, body: body, origin: o.origin, sensitive: o.sensitive)
        }
        #expect(changed)
        let found = CrossCheck.verify(objects, program: built.program)
        #expect(!found.isEmpty, "\(label) went unnoticed")
        #expect(found.allSatisfy { $0.code == .internalInvariant && $0.span.file.path.hasSuffix("wardle.ext") })
    }
}
